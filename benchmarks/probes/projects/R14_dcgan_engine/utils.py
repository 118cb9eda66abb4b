import torch


class RunningStats:
    def __init__(self):
        self.values = {}

    def add(self, **kw):
        for k, v in kw.items():
            self.values.setdefault(k, []).append(float(v))

    def mean(self, k):
        v = self.values.get(k, [])
        return sum(v) / max(len(v), 1)


def toy_digits(n=64, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 1, size, size)
    cols = torch.randint(2, size - 2, (n,), generator=g)
    for i, c in enumerate(cols.tolist()):
        x[i, 0, 2:-2, c - 1:c + 1] = 1.0
    return x * 2 - 1
