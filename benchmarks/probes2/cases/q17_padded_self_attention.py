"""Hand-written transformer encoder for variable-length sequences
(sentence classification with padding). Attention to padding positions is
zeroed after the softmax and the rows renormalised."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

PAD = 0


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.h, self.dk = n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x, pad_mask):
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.h, self.dk).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dk)
        attn = scores.softmax(dim=-1)
        attn.masked_fill_(pad_mask[:, None, None, :], 0.0)
        attn = attn / attn.sum(dim=-1, keepdim=True).clamp_min(1e-9)
        out = (attn @ v).transpose(1, 2).reshape(B, T, D)
        return self.proj(out)


class EncoderBlock(nn.Module):
    def __init__(self, d_model=32, n_heads=4, d_ff=64):
        super().__init__()
        self.attn = MultiHeadSelfAttention(d_model, n_heads)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    def forward(self, x, pad_mask):
        x = x + self.attn(self.ln1(x), pad_mask)
        return x + self.ff(self.ln2(x))


class SentenceClassifier(nn.Module):
    def __init__(self, vocab=100, d_model=32, n_layers=2, n_cls=2, max_len=32):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model, padding_idx=PAD)
        self.pos = nn.Parameter(torch.randn(1, max_len, d_model) * 0.02)
        self.blocks = nn.ModuleList([EncoderBlock(d_model) for _ in range(n_layers)])
        self.head = nn.Linear(d_model, n_cls)

    def forward(self, tokens):
        pad_mask = tokens.eq(PAD)
        x = self.tok(tokens) + self.pos[:, : tokens.size(1)]
        for blk in self.blocks:
            x = blk(x, pad_mask)
        keep = (~pad_mask).unsqueeze(-1).float()
        return self.head((x * keep).sum(1) / keep.sum(1))


def make_batch(n=8, max_len=16):
    lengths = torch.randint(4, max_len + 1, (n,))
    tokens = torch.randint(1, 100, (n, max_len))
    tokens[torch.arange(max_len)[None, :] >= lengths[:, None]] = PAD
    return tokens, torch.randint(0, 2, (n,))


model = SentenceClassifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
for step in range(5):
    tokens, labels = make_batch()
    loss = F.cross_entropy(model(tokens), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
