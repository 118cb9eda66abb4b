"""Synthetic log-mel 'utterances': each keyword has a characteristic spectral template."""
import torch


class SyntheticKWS:
    def __init__(self, num_keywords=6, n_mels=20, frames=24, seed=0):
        self.gen = torch.Generator().manual_seed(seed)
        self.templates = torch.randn(num_keywords, n_mels, generator=self.gen)
        self.num_keywords, self.n_mels, self.frames = num_keywords, n_mels, frames

    def batch(self, n):
        y = torch.randint(0, self.num_keywords, (n,), generator=self.gen)
        noise = torch.randn(n, self.frames, self.n_mels, generator=self.gen)
        envelope = torch.hann_window(self.frames, periodic=False).view(1, -1, 1)
        x = noise * 0.5 + envelope * self.templates[y].unsqueeze(1)
        x = (x - x.mean(dim=(1, 2), keepdim=True)) / x.std(dim=(1, 2), keepdim=True)
        return x, y
