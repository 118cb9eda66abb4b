import torch.nn as nn


class Generator(nn.Module):
    """z -> 4x4 -> 8x8 -> 16x16 RGB."""

    def __init__(self, z_dim=16, ch=32):
        super().__init__()
        self.z_dim = z_dim
        self.fc = nn.Linear(z_dim, ch * 4 * 4)
        self.ch = ch
        self.net = nn.Sequential(
            nn.BatchNorm2d(ch), nn.ReLU(),
            nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), nn.BatchNorm2d(ch // 2), nn.ReLU(),
            nn.ConvTranspose2d(ch // 2, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.fc(z).view(-1, self.ch, 4, 4))
