# Token tagger over variable-length sequences: only real (non-pad) positions go through the
# projection, the results are written into a fresh zero tensor; CPU bfloat16 autocast.
import torch
import torch.nn as nn
import torch.nn.functional as F


class SparseTagger(nn.Module):
    def __init__(self, vocab=40, d=24, n_tags=5):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.proj = nn.Sequential(nn.Linear(d, d), nn.GELU())
        self.out = nn.Linear(d, n_tags)

    def forward(self, tokens):
        mask = tokens != 0
        x = self.emb(tokens)
        vals = self.proj(x[mask])
        h = vals.new_zeros(tokens.shape + (vals.size(-1),))
        h[mask] = vals
        # mean-pool context and add it back to every position
        ctx = h.sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        h = h + ctx.unsqueeze(1)
        return self.out(h), mask


def train(model, batches, optimizer, epochs=2):
    for ep in range(epochs):
        for tokens, tags in batches:
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits, mask = model(tokens)
            loss = F.cross_entropy(logits[mask].float(), tags[mask])
            loss.backward()
            optimizer.step()
        print(ep, loss.item())


if __name__ == "__main__":
    torch.manual_seed(0)
    batches = []
    for _ in range(4):
        lengths = torch.randint(2, 10, (6,))
        tokens = torch.zeros(6, 10, dtype=torch.long)
        for i, L in enumerate(lengths.tolist()):
            tokens[i, :L] = torch.randint(1, 40, (L,))
        batches.append((tokens, torch.randint(0, 5, (6, 10))))
    model = SparseTagger()
    train(model, batches, torch.optim.Adam(model.parameters(), lr=1e-2))
