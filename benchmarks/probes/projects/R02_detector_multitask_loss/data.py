import torch


class SyntheticBoxes:
    """Random images with a bright rectangle; label = quadrant of the rectangle centre."""

    def __init__(self, n=96, size=24, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.images = 0.1 * torch.randn(n, 3, size, size, generator=g)
        wh = 0.2 + 0.3 * torch.rand(n, 2, generator=g)
        c = wh / 2 + (1 - wh) * torch.rand(n, 2, generator=g)
        self.boxes = torch.cat([c, wh], dim=1)
        self.labels = (c[:, 0] > 0.5).long() * 2 + (c[:, 1] > 0.5).long()
        for i in range(n):
            x0, y0 = ((c[i] - wh[i] / 2) * size).long().tolist()
            x1, y1 = ((c[i] + wh[i] / 2) * size).long().tolist()
            self.images[i, :, y0:y1, x0:x1] += 1.0

    def batches(self, batch_size, generator=None):
        perm = torch.randperm(len(self.images), generator=generator)
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            yield self.images[idx], {"labels": self.labels[idx], "boxes": self.boxes[idx]}
