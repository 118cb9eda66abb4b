import torch
import torch.nn as nn
import torch.nn.functional as F
from dataclasses import dataclass, field


@dataclass
class FinetuneConfig:
    in_dim: int = 20
    hidden: int = 48
    n_classes: int = 4
    freeze_encoder: bool = True
    lr: float = 5e-3
    epochs: int = 3
    head_dims: list = field(default_factory=lambda: [32])


def set_requires_grad(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(cfg.in_dim, cfg.hidden), nn.Tanh(),
                                     nn.Linear(cfg.hidden, cfg.hidden), nn.Tanh())
        layers, d = [], cfg.hidden
        for h in cfg.head_dims:
            layers += [nn.Linear(d, h), nn.ReLU()]
            d = h
        layers.append(nn.Linear(d, cfg.n_classes))
        self.head = nn.Sequential(*layers)

    def forward(self, x):
        return self.head(self.encoder(x))


cfg = FinetuneConfig()
torch.manual_seed(0)
model = Model(cfg)
set_requires_grad(model.encoder, flag=not cfg.freeze_encoder)
trainable = [p for p in model.parameters() if p.requires_grad]
print(f"{len(trainable)} trainable tensors, freeze_encoder={cfg.freeze_encoder}")
optimizer = torch.optim.Adam(trainable, lr=cfg.lr)

X = torch.randn(96, cfg.in_dim)
Y = torch.randint(0, cfg.n_classes, (96,))
for epoch in range(cfg.epochs):
    model.train()
    if cfg.freeze_encoder:
        model.encoder.eval()
    for i in range(0, 96, 24):
        loss = F.cross_entropy(model(X[i:i + 24]), Y[i:i + 24])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, f"{loss.item():.4f}")
