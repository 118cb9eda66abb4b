import torch.nn as nn
from torch.utils.checkpoint import checkpoint

from .base import SequenceModel


class CheckpointedTransformer(SequenceModel):
    def __init__(self, vocab=40, dim=32, n_classes=3, depth=2, use_checkpoint=True):
        super().__init__(vocab, dim, n_classes)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
            for _ in range(depth)
        )
        self.use_checkpoint = use_checkpoint

    def encode(self, h):
        for layer in self.layers:
            if self.use_checkpoint and self.training:
                h = checkpoint(layer, h, use_reentrant=False)
            else:
                h = layer(h)
        return h
