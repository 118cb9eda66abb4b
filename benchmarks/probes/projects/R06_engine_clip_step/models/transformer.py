import torch
import torch.nn as nn


class TinyTransformerClassifier(nn.Module):
    def __init__(self, vocab_size=50, dim=32, heads=4, layers=2, num_classes=3, max_len=16):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(torch.zeros(1, max_len, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 2, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, tokens):
        x = self.tok(tokens) + self.pos[:, : tokens.size(1)]
        x = self.encoder(x)
        return self.head(self.norm(x.mean(dim=1)))
