import torch
import torch.nn as nn

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
head = nn.Linear(8, 1)
opt = torch.optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.1)
x = torch.randn(8, 4)
with torch.no_grad():
    h = encoder(x)
loss = head(h).pow(2).mean()
loss.backward()
opt.step()
