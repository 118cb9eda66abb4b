import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, lr=0.05, accumulation_steps=4):
        self.model = model
        self.criterion = nn.BCEWithLogitsLoss()
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.accumulation_steps = accumulation_steps

    def train_epoch(self, loader):
        self.model.train()
        epoch_loss = 0.0
        for i, (x, y) in enumerate(loader):
            logits = self.model(x).squeeze(1)
            loss = self.criterion(logits, y) / self.accumulation_steps
            loss.backward()
            epoch_loss += loss.item()

            if (i + 1) % self.accumulation_steps == 0:
                self.optimizer.zero_grad()
                self.optimizer.step()
        return epoch_loss

    @torch.no_grad()
    def evaluate(self, loader):
        self.model.eval()
        correct = total = 0
        for x, y in loader:
            pred = (self.model(x).squeeze(1) > 0).float()
            correct += (pred == y).sum().item()
            total += y.numel()
        return correct / total


torch.manual_seed(0)
X = torch.randn(128, 20)
Y = (X[:, 0] + X[:, 1] > 0).float()
train_loader = DataLoader(TensorDataset(X[:96], Y[:96]), batch_size=8, shuffle=True)
val_loader = DataLoader(TensorDataset(X[96:], Y[96:]), batch_size=16)

model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 1))
trainer = Trainer(model)
for epoch in range(3):
    loss = trainer.train_epoch(train_loader)
    acc = trainer.evaluate(val_loader)
    print(f"epoch {epoch}: loss={loss:.4f} val_acc={acc:.3f}")
