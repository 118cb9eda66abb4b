import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionPooling(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, h, lengths):
        B, T, _ = h.shape
        weights = torch.softmax(self.score(h).squeeze(-1), dim=1)
        pad = torch.arange(T)[None, :] >= lengths[:, None]
        weights[pad] = 0.0
        weights = weights / weights.sum(1, keepdim=True)
        return (weights.unsqueeze(-1) * h).sum(1)


class GRUClassifier(nn.Module):
    def __init__(self, vocab=50, emb=16, hidden=24, n_classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.gru = nn.GRU(emb, hidden, batch_first=True)
        self.pool = AttentionPooling(hidden)
        self.fc = nn.Linear(hidden, n_classes)

    def forward(self, tokens, lengths):
        h, _ = self.gru(self.emb(tokens))
        return self.fc(self.pool(h, lengths))


def random_batch(batch=8, max_len=12, vocab=50):
    lengths = torch.randint(3, max_len + 1, (batch,))
    tokens = torch.zeros(batch, max_len, dtype=torch.long)
    for i, n in enumerate(lengths.tolist()):
        tokens[i, :n] = torch.randint(1, vocab, (n,))
    return tokens, lengths, torch.randint(0, 3, (batch,))


torch.manual_seed(0)
model = GRUClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for step in range(8):
    tokens, lengths, y = random_batch()
    logits = model(tokens, lengths)
    loss = F.cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
