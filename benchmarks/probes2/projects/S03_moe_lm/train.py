"""Tiny character-level MoE language model on a synthetic corpus."""
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models import MoETransformerLM
from utils import build_optimizer, get_batch


@dataclass
class TrainConfig:
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 2
    num_experts: int = 4
    block_size: int = 16
    batch_size: int = 16
    lr: float = 3e-3
    steps: int = 20


def main():
    cfg = TrainConfig()
    torch.manual_seed(0)
    text = "the quick brown fox jumps over the lazy dog. " * 40
    vocab = sorted(set(text))
    stoi = {c: i for i, c in enumerate(vocab)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    model = MoETransformerLM(len(vocab), cfg.d_model, cfg.n_heads, cfg.n_layers,
                             num_experts=cfg.num_experts, max_len=cfg.block_size)
    optimizer = build_optimizer(model, cfg.lr)
    gen = torch.Generator().manual_seed(0)
    for step in range(cfg.steps):
        x, y = get_batch(data, cfg.block_size, cfg.batch_size, gen)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 5 == 0:
            load = [l.tolist() for l in model.expert_load()]
            print(step, round(loss.item(), 4), load)


if __name__ == "__main__":
    main()
