"""PyTorch-like source files for the fuzz test (and the real fixtures when present)."""

from __future__ import annotations

import random
from pathlib import Path

HEADER = """import torch
import torch.nn as nn
import torch.nn.functional as F


"""

BLOCK = '''class Block{i}(nn.Module):
    def __init__(self, dim: int = {dim}):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        h = self.norm(x)
        h = F.gelu(self.proj(h)){cut}
        return x + h * self.scale


def train_step_{i}(model, opt, batch):
    x, y = batch
    opt.zero_grad()
    pred = model(x)
    loss = F.mse_loss(pred, y)
    stats = torch.tensor([loss.item(), pred.mean().item()])
    loss.backward()
    opt.step()
    return stats


'''

CUTS = ["", "", ".detach()", "", ".data", ""]


def generate(lines: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    parts = [HEADER]
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(BLOCK.format(i=i, dim=rng.choice([16, 32, 64]), cut=rng.choice(CUTS)))
        i += 1
    return "".join(parts)


def real_files() -> list[str]:
    root = Path(__file__).resolve().parents[2] / "fixtures"
    out = []
    for path in sorted(root.glob("*/*.py"))[:20]:
        try:
            out.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            pass
    return out
