import torch
from torch.utils.data import DataLoader, TensorDataset


def synthetic_loader(num_classes, n=96, size=16, batch_size=16, seed=1):
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(num_classes, 3, 1, 1, generator=g)
    y = torch.randint(0, num_classes, (n,), generator=g)
    x = means[y] + torch.randn(n, 3, size, size, generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
