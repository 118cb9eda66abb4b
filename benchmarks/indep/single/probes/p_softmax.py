import torch
import torch.nn as nn
lin = nn.Linear(4, 3)
opt = torch.optim.SGD(lin.parameters(), lr=0.1)
x = torch.randn(8, 4)
for i in range(2):
    e = torch.exp(lin(x))
    e /= e.sum(dim=-1, keepdim=True)
    loss = -e[:, 0].log().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
