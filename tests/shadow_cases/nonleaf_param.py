import torch

w = torch.randn(3, requires_grad=True).double()
v = torch.randn(3, dtype=torch.float64, requires_grad=True)
x = torch.randn(3, dtype=torch.float64)
loss = (w * x + v).sum()
loss.backward()
