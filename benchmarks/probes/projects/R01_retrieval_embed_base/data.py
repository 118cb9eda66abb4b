import torch
from torch.utils.data import DataLoader, TensorDataset


def make_loaders(num_classes=5, n_train=128, n_gallery=40, size=16, batch_size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    protos = torch.randn(num_classes, 3, size, size, generator=g)

    def sample(n):
        y = torch.randint(0, num_classes, (n,), generator=g)
        x = protos[y] + 0.5 * torch.randn(n, 3, size, size, generator=g)
        return x, y

    xtr, ytr = sample(n_train)
    xga, yga = sample(n_gallery)
    train = DataLoader(TensorDataset(xtr, ytr), batch_size=batch_size, shuffle=True)
    return train, (xga, yga)
