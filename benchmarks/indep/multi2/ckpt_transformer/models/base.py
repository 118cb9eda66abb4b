import torch
import torch.nn as nn


class SequenceModel(nn.Module):
    """Base class: subclasses implement encode(); classification head shared."""

    def __init__(self, vocab, dim, n_classes, max_len=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(max_len, dim) * 0.02)
        self.head = nn.Linear(dim, n_classes)

    def encode(self, h):
        raise NotImplementedError

    def forward(self, tokens):
        h = self.embed(tokens) + self.pos[: tokens.shape[1]]
        h = self.encode(h)
        return self.head(h.mean(dim=1))
