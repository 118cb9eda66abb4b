import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
other = nn.Linear(3, 1)
opt = torch.optim.SGD(other.parameters(), lr=0.1)
for step in range(3):
    loss = model(torch.randn(4, 3)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
