import torch
import torch.nn as nn
import torch.nn.functional as F
from dataclasses import dataclass


@dataclass
class TrainConfig:
    in_dim: int = 32
    hidden: int = 64
    n_classes: int = 5
    lr: float = 1e-3
    epochs: int = 4
    batch_size: int = 16
    freeze_encoder: bool = False  # True for linear probing


class Encoder(nn.Module):
    def __init__(self, in_dim, hidden):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
        )

    def forward(self, x):
        return self.net(x)


class Classifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = Encoder(cfg.in_dim, cfg.hidden)
        self.head = nn.Linear(cfg.hidden, cfg.n_classes)

    def forward(self, x):
        return self.head(self.encoder(x))


def build_model(cfg):
    model = Classifier(cfg)
    for p in model.encoder.parameters():
        p.requires_grad = cfg.freeze_encoder
    return model


def main():
    cfg = TrainConfig()
    torch.manual_seed(0)
    X = torch.randn(128, cfg.in_dim)
    y = torch.randint(0, cfg.n_classes, (128,))

    model = build_model(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model has {n_params} parameters")

    for epoch in range(cfg.epochs):
        perm = torch.randperm(X.size(0))
        total = 0.0
        for i in range(0, X.size(0), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            logits = model(X[idx])
            loss = F.cross_entropy(logits, y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total:.4f}")


if __name__ == "__main__":
    main()
