import torch


def make_batch(n=8, size=16):
    imgs = torch.rand(n, 3, size, size)
    counts = torch.randint(0, 30, (n,)).float()
    return imgs, counts


class AverageMeter:
    def __init__(self):
        self.sum, self.n = 0.0, 0

    def update(self, v, k=1):
        self.sum += v * k
        self.n += k

    @property
    def avg(self):
        return self.sum / max(self.n, 1)
