import torch
import torch.nn as nn
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.fc = nn.Linear(8, 2)
    def forward(self, x):
        return nn.Linear(8, 2)(self.body(x))
m = M()
opt = torch.optim.SGD(m.parameters(), lr=0.1)
for i in range(2):
    loss = m(torch.randn(3, 4)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
