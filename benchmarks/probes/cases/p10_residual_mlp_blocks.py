import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualMLP(nn.Module):
    def __init__(self, in_dim, width, depth, out_dim, dropout=0.1):
        super().__init__()
        self.inp = nn.Linear(in_dim, width)
        self.blocks = []
        for _ in range(depth):
            self.blocks.append(nn.Sequential(
                nn.LayerNorm(width),
                nn.Linear(width, width),
                nn.GELU(),
                nn.Dropout(dropout),
            ))
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, out_dim)

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(self.norm(h))


def make_data(n=256, d=12):
    x = torch.randn(n, d)
    y = (x[:, 0] * x[:, 1] + torch.sin(x[:, 2])).unsqueeze(1)
    return x, y


torch.manual_seed(0)
x, y = make_data()
model = ResidualMLP(in_dim=12, width=32, depth=3, out_dim=1)
print("trainable:", sum(p.numel() for p in model.parameters() if p.requires_grad))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(5):
    model.train()
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 64):
        idx = perm[i:i + 64]
        loss = F.mse_loss(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        val = F.mse_loss(model(x), y).item()
    print(f"epoch {epoch} train {loss.item():.4f} full {val:.4f}")
