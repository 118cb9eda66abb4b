# Lightning-like LitClassifier (training_step / validation_step / configure_optimizers)
# run by a small hand-written loop instead of pl.Trainer. argmax is only used for metrics.
import torch
import torch.nn as nn
import torch.nn.functional as F


class LitClassifier(nn.Module):
    def __init__(self, n_features=16, n_classes=5, lr=1e-3):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(n_features, 64), nn.LayerNorm(64), nn.ReLU(),
                                 nn.Linear(64, n_classes))
        self.metrics = {}

    def forward(self, x):
        return self.net(x)

    def log(self, key, value):
        self.metrics.setdefault(key, []).append(value)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        preds = torch.argmax(logits, dim=1)
        self.log("train_acc", (preds == y).float().mean().item())
        self.log("train_loss", loss.item())
        return {"loss": loss, "preds": preds}

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        acc = logits.argmax(-1).eq(y).sum().item() / y.numel()
        self.log("val_acc", acc)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
        return [opt], [sched]


def run(module, train_batches, val_batches, max_epochs=3):
    [opt], [sched] = module.configure_optimizers()
    for epoch in range(max_epochs):
        module.train()
        for i, batch in enumerate(train_batches):
            out = module.training_step(batch, i)
            opt.zero_grad()
            out["loss"].backward()
            opt.step()
        sched.step()
        module.eval()
        with torch.no_grad():
            for i, batch in enumerate(val_batches):
                module.validation_step(batch, i)
        print(epoch, module.metrics["train_loss"][-1], module.metrics["val_acc"][-1])


if __name__ == "__main__":
    torch.manual_seed(0)
    mk = lambda: (torch.randn(16, 16), torch.randint(0, 5, (16,)))
    run(LitClassifier(), [mk() for _ in range(4)], [mk() for _ in range(2)])
