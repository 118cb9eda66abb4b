import argparse
import math
import torch
import torch.nn as nn


class RegressionLosses:
    @staticmethod
    def mse(pred, target):
        return ((pred - target) ** 2).mean()

    @staticmethod
    def mae(pred, target):
        return (pred - target).abs().mean()

    @staticmethod
    def log_cosh(pred, target):
        diffs = (pred - target).view(-1).tolist()
        vals = [math.log(math.cosh(d)) for d in diffs]
        return torch.tensor(sum(vals) / len(vals), requires_grad=True)


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--loss", default="log_cosh", choices=["mse", "mae", "log_cosh"])
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--steps", type=int, default=30)
    args, _ = p.parse_known_args()
    return args


class HousePriceNet(nn.Module):
    def __init__(self, n_features=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


args = get_args()
torch.manual_seed(1)
X = torch.randn(200, 8)
y = X @ torch.randn(8) + 0.1 * torch.randn(200)

model = HousePriceNet()
loss_fn = getattr(RegressionLosses, args.loss)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

for step in range(args.steps):
    idx = torch.randint(0, 200, (32,))
    pred = model(X[idx])
    loss = loss_fn(pred, y[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step} {args.loss}: {loss.item():.4f}")
