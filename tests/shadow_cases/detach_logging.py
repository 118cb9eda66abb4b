# A legitimate detach: the detached value only feeds logging.
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(16, 4)
y = torch.randn(16, 1)
history = []


def unused_helper(t):
    return t.detach()


for step in range(1000):
    out = model(x)
    loss = ((out - y) ** 2).mean()
    history.append(loss.detach().cpu())
    opt.zero_grad()
    loss.backward()
    opt.step()
    running = loss.item()
