import torch

x = torch.randn(3, requires_grad=True)
n = 0
while True:
    n += 1
