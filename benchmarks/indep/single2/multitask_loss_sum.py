# Lightning-style multi-task module (one shared trunk, several regression heads) driven by
# a tiny hand-written loop. I detach the per-task losses when accumulating them because the
# memory kept growing; now backward complains that the loss does not require grad.
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiTaskModule(nn.Module):
    def __init__(self, in_dim, tasks):
        super().__init__()
        self.tasks = tasks
        self.trunk = nn.Sequential(nn.Linear(in_dim, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU())
        self.heads = nn.ModuleDict({t: nn.Linear(64, 1) for t in tasks})
        self.task_weights = {t: 1.0 for t in tasks}
        self.logged = {}

    def forward(self, x):
        h = self.trunk(x)
        return {t: head(h).squeeze(-1) for t, head in self.heads.items()}

    def log(self, name, value):
        self.logged.setdefault(name, []).append(float(value))

    def training_step(self, batch, batch_idx):
        x, targets = batch
        preds = self(x)
        loss_sum = torch.zeros(())
        for t in self.tasks:
            task_loss = F.smooth_l1_loss(preds[t], targets[t])
            self.log(f"train/{t}", task_loss.item())
            loss_sum += self.task_weights[t] * task_loss.detach()
        self.log("train/loss", loss_sum)
        return loss_sum

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def fit(module, batches, max_epochs=2):
    optimizer = module.configure_optimizers()
    for epoch in range(max_epochs):
        for i, batch in enumerate(batches):
            optimizer.zero_grad()
            loss = module.training_step(batch, i)
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    torch.manual_seed(0)
    tasks = ["age", "bmi", "bp"]
    batches = []
    for _ in range(4):
        x = torch.randn(16, 10)
        batches.append((x, {t: torch.randn(16) for t in tasks}))
    fit(MultiTaskModule(10, tasks), batches)
