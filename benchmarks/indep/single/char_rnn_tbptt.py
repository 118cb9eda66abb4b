# Char-level GRU with truncated BPTT: the hidden state is carried across chunks
# but detached so backprop stops at the chunk boundary.
import torch
import torch.nn as nn

torch.manual_seed(0)
n_chars, hidden_size, chunk = 30, 48, 10

text = torch.randint(0, n_chars, (2, 6 * chunk + 1))


class CharRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(n_chars, 24)
        self.gru = nn.GRU(24, hidden_size, num_layers=2, batch_first=True, dropout=0.1)
        self.fc = nn.Linear(hidden_size, n_chars)

    def forward(self, x, h=None):
        out, h = self.gru(self.embed(x), h)
        return self.fc(out), h


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


model = CharRNN()
optimizer = torch.optim.RMSprop(model.parameters(), lr=2e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(2):
    h = None
    for i in range(0, text.size(1) - 1, chunk):
        inp, tgt = text[:, i:i + chunk], text[:, i + 1:i + 1 + chunk]
        if h is not None:
            h = repackage_hidden(h)
        logits, h = model(inp, h)
        loss = criterion(logits.reshape(-1, n_chars), tgt.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    print(epoch, loss.item())
