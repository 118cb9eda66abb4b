import torch.nn as nn
from torch.nn.utils import spectral_norm


class Discriminator(nn.Module):
    def __init__(self, ch=32):
        super().__init__()
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(3, ch // 2, 4, 2, 1)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(ch // 2, ch, 4, 2, 1)), nn.LeakyReLU(0.2),
            nn.Flatten(), spectral_norm(nn.Linear(ch * 4 * 4, 1)))

    def forward(self, x):
        return self.net(x).squeeze(1)
