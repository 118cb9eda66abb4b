import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
# linear warm-up from a learning rate of 0: the first step changes nothing, by design
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, step / 3))
x, y = torch.randn(16, 4), torch.randn(16, 1)
for step in range(6):
    opt.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    opt.step()
    sched.step()
