import random

import torch
import torch.nn as nn


class Seq2Seq(nn.Module):
    def __init__(self, vocab=20, emb=16, hidden=32, bos=1):
        super().__init__()
        self.src_embed = nn.Embedding(vocab, emb)
        self.tgt_embed = nn.Embedding(vocab, emb)
        self.encoder = nn.GRU(emb, hidden, batch_first=True)
        self.decoder = nn.GRUCell(emb, hidden)
        self.proj = nn.Linear(hidden, vocab)
        self.bos = bos

    def forward(self, src, tgt, teacher_forcing_ratio=1.0):
        _, h = self.encoder(self.src_embed(src))
        h = h.squeeze(0)
        inp = torch.full((src.shape[0],), self.bos, dtype=torch.long)
        outputs = []
        for t in range(tgt.shape[1]):
            h = self.decoder(self.tgt_embed(inp), h)
            logits = self.proj(h)
            outputs.append(logits)
            if random.random() < teacher_forcing_ratio:
                inp = tgt[:, t]
            else:
                inp = logits.argmax(-1).detach()
        return torch.stack(outputs, dim=1)
