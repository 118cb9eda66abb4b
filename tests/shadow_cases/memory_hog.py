import torch

chunks = []
for i in range(10000):
    chunks.append(torch.ones(64 * 1024 * 1024, dtype=torch.uint8))  # 64 MiB each
w = torch.randn(3, requires_grad=True)
w.sum().backward()
