"""Parameter-efficient fine-tuning with LoRA: a 'pretrained' MLP-mixer-ish
encoder gets low-rank adapters on its linear layers; only the adapters and
the new classification layer are supposed to train."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


@dataclass
class LoraConfig:
    r: int = 4
    alpha: float = 8.0
    trainable_keys: tuple = ("lora_", "head")
    lr_lora: float = 2e-3
    lr_head: float = 1e-2


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) * 0.01)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling


class Encoder(nn.Module):
    def __init__(self, d=32, depth=2):
        super().__init__()
        self.layers = nn.ModuleList([nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU())
                                     for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = x + layer(x)
        return x


class Classifier(nn.Module):
    def __init__(self, encoder, d, n_cls):
        super().__init__()
        self.encoder = encoder
        self.classifier = nn.Linear(d, n_cls)

    def forward(self, x):
        return self.classifier(self.encoder(x).mean(dim=1))


def inject_lora(module, cfg):
    for name, child in module.named_children():
        if isinstance(child, nn.Linear):
            setattr(module, name, LoRALinear(child, cfg.r, cfg.alpha))
        else:
            inject_lora(child, cfg)


def mark_trainable(model, cfg):
    for n, p in model.named_parameters():
        p.requires_grad = any(k in n for k in cfg.trainable_keys)


cfg = LoraConfig()
model = Classifier(Encoder(), 32, 5)
inject_lora(model.encoder, cfg)
mark_trainable(model, cfg)

lora_params = [p for n, p in model.named_parameters() if "lora_" in n]
optimizer = torch.optim.AdamW([{"params": lora_params, "lr": cfg.lr_lora},
                               {"params": model.classifier.parameters(), "lr": cfg.lr_head}])

x, y = torch.randn(16, 6, 32), torch.randint(0, 5, (16,))
for step in range(6):
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
