import torch
import torch.nn as nn

model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
out = model(torch.randn(4, 4))  # the forward runs once, outside the loop
for step in range(3):
    opt.zero_grad()
    loss = out.pow(2).mean()
    loss.backward()
    opt.step()
