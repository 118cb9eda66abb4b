import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import EmbeddingModel


class CosineHead(nn.Module):
    def __init__(self, dim, num_classes, scale=10.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, dim) * 0.1)
        self.scale = scale

    def forward(self, z):
        return self.scale * F.linear(z, F.normalize(self.weight, dim=-1))


class ConvEmbedder(EmbeddingModel):
    def __init__(self, in_ch=3, width=16, embed_dim=32, num_classes=5):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_ch, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.layer1 = nn.Sequential(
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width * 2),
            nn.ReLU(inplace=True),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.proj = nn.Linear(width * 2, embed_dim)
        self.head = CosineHead(embed_dim, num_classes)

    def encode(self, x):
        x = self.layer1(self.stem(x))
        return self.proj(self.pool(x).flatten(1))

    def classify(self, z):
        return self.head(z)
