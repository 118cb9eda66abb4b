import torch

x = torch.randn(3, requires_grad=True)
y = x * 2


def load_data():
    raise ValueError("dataset not found")


data = load_data()
y.sum().backward()
