import torch
import torch.nn as nn
import torch.nn.functional as F


class Seq2One(nn.Module):
    def __init__(self, n_in=6, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1]).squeeze(-1)


class Trainer:
    def __init__(self, model, lr=1e-2, total_steps=100, max_norm=1.0):
        self.model = model
        self.max_norm = max_norm
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=lr, total_steps=total_steps)
        self.step_count = 0

    def _update(self, loss):
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_norm)
        self.scheduler.step()
        self.step_count += 1

    def fit(self, X, y, epochs=3, bs=16):
        for epoch in range(epochs):
            self.model.train()
            perm = torch.randperm(len(X))
            for i in range(0, len(X), bs):
                idx = perm[i:i + bs]
                loss = F.mse_loss(self.model(X[idx]), y[idx])
                self._update(loss)
            lr = self.scheduler.get_last_lr()[0]
            print(f"epoch {epoch} loss {loss.item():.4f} lr {lr:.5f} steps {self.step_count}")


torch.manual_seed(0)
X = torch.randn(64, 10, 6)
y = X[:, :, 0].mean(1) + 0.5 * X[:, -1, 1]
trainer = Trainer(Seq2One(), total_steps=20)
trainer.fit(X, y)
