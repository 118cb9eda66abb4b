# Attention with my own numerically-stable softmax (needed a temperature and masking).
# RuntimeError: one of the variables needed for gradient computation has been modified
# by an inplace operation
import torch
import torch.nn as nn

torch.manual_seed(0)


def masked_softmax(scores, mask, temperature=1.0):
    scores = scores / temperature
    scores = scores.masked_fill(~mask, -1e9)
    m = scores.max(dim=-1, keepdim=True).values
    e = torch.exp(scores - m)
    e /= e.sum(dim=-1, keepdim=True)
    return e


class AttnPool(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.q = nn.Parameter(torch.randn(d))
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.out = nn.Linear(d, 2)

    def forward(self, x, mask):
        scores = self.k(x) @ self.q / x.size(-1) ** 0.5
        w = masked_softmax(scores, mask, temperature=0.5)
        pooled = (w.unsqueeze(-1) * self.v(x)).sum(1)
        return self.out(pooled)


model = AttnPool()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(8, 6, 16)
mask = torch.rand(8, 6) > 0.2
mask[:, 0] = True
y = torch.randint(0, 2, (8,))

for step in range(3):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x, mask), y)
    loss.backward()
    opt.step()
    print(step, loss.item())
