import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiTaskNet(nn.Module):
    def __init__(self, in_dim=12, hidden=32, n_classes=3):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU())
        self.cls_head = nn.Linear(hidden, n_classes)
        self.reg_head = nn.Linear(hidden, 1)
        self.log_vars = nn.Parameter(torch.zeros(2))

    def forward(self, x):
        h = self.trunk(x)
        return self.cls_head(h), self.reg_head(h).squeeze(-1)

    def weighted_loss(self, losses):
        losses = torch.stack(losses)
        return (torch.exp(-self.log_vars) * losses + self.log_vars).sum()


def make_split(n):
    x = torch.randn(n, 12)
    yc = torch.randint(0, 3, (n,))
    yr = x[:, 0] - 2 * x[:, 1]
    return [(x[i:i + 16], yc[i:i + 16], yr[i:i + 16]) for i in range(0, n, 16)]


torch.manual_seed(0)
loaders = {"train": make_split(64), "val": make_split(32)}
model = MultiTaskNet()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
best_loss = float("inf")

for epoch in range(3):
    for phase in ["train", "val"]:
        if phase == "train":
            model.train()
        else:
            model.eval()
        running = 0.0
        for x, yc, yr in loaders[phase]:
            optimizer.zero_grad()
            with torch.set_grad_enabled(phase == "train"):
                logits, reg = model(x)
                loss = model.weighted_loss([F.cross_entropy(logits, yc), F.mse_loss(reg, yr)])
                if phase == "train":
                    loss.backward()
                    optimizer.step()
            running += loss.item() * x.size(0)
        epoch_loss = running / sum(b[0].size(0) for b in loaders[phase])
        print(f"{epoch} {phase} loss {epoch_loss:.4f} sigma {model.log_vars.exp().tolist()}")
        if phase == "val" and epoch_loss < best_loss:
            best_loss = epoch_loss
