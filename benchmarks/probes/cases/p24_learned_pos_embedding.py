import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyTransformerLM(nn.Module):
    def __init__(self, vocab=40, d_model=32, nhead=4, max_len=64):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d_model))
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=64, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.lm_head = nn.Linear(d_model, vocab)

    def forward(self, ids):
        T = ids.size(1)
        if self.pos.size(1) != T:
            self.pos = nn.Parameter(torch.zeros(1, T, self.pos.size(2)))
        h = self.tok(ids) + self.pos
        mask = nn.Transformer.generate_square_subsequent_mask(T)
        h = self.encoder(h, mask=mask, is_causal=True)
        return self.lm_head(h)


torch.manual_seed(0)
model = TinyTransformerLM()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
corpus = torch.randint(0, 40, (2000,))

for step in range(6):
    seq_len = int(torch.randint(8, 17, (1,)))
    starts = torch.randint(0, len(corpus) - seq_len - 1, (4,))
    x = torch.stack([corpus[s:s + seq_len] for s in starts])
    y = torch.stack([corpus[s + 1:s + seq_len + 1] for s in starts])
    logits = model(x)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    print(f"step {step} len {seq_len} loss {loss.item():.3f}")
