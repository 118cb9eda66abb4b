# Runs unchanged on CUDA: the default device is set by the worker; .numpy() of a CUDA
# tensor is handled by the worker.
import torch
import torch.nn as nn

model = nn.Linear(4, 1)
x = torch.randn(8, 4)
out = model(x)
stats = out.detach().numpy().mean()
loss = out.pow(2).mean()
loss.backward()
print("device", out.device, stats)
