import torch
from torch.utils.data import DataLoader, TensorDataset


def cifar_like(n, num_classes=10, size=16, seed=0, batch_size=16, shuffle=True):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, size, size, generator=g)
    y = torch.randint(0, num_classes, (n,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
