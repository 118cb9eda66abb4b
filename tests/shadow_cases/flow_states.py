import copy

import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.frozen_in = nn.Linear(4, 8)
        self.body = nn.Linear(8, 8)
        self.rounded = nn.Linear(8, 8)
        self.faint = nn.Linear(8, 1)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        h = self.frozen_in(x).detach()
        h = torch.relu(self.body(h))
        r = self.rounded(h).round()
        return self.head(h) + self.head(r) + 1e-30 * self.faint(h)


model = Net()
target = copy.deepcopy(model)
for p in target.parameters():
    p.requires_grad_(False)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(16, 4)
for _ in range(2):
    opt.zero_grad()
    loss = (model(x) - target(x) - 1).pow(2).mean()
    loss.backward()
    opt.step()
