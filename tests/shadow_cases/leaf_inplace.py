import torch

X = torch.randn(4, 3, requires_grad=True)
X *= 0.1
X.sum().backward()
