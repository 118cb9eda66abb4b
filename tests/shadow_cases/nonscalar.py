import torch

w = torch.randn(3, requires_grad=True)
out = w * 2
out.backward()
