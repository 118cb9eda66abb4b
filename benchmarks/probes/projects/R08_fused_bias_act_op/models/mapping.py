import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ops import FusedLeakyReLU


class EqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim, lr_mul=1.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.scale = (1 / math.sqrt(in_dim)) * lr_mul
        self.act = FusedLeakyReLU(out_dim) if activation else None
        if not activation:
            self.bias = nn.Parameter(torch.zeros(out_dim))

    def forward(self, x):
        out = F.linear(x, self.weight * self.scale)
        if self.act is not None:
            return self.act(out)
        return out + self.bias


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class MappingNetwork(nn.Module):
    def __init__(self, z_dim=16, w_dim=16, n_layers=3, lr_mul=0.1):
        super().__init__()
        layers = [PixelNorm()]
        for i in range(n_layers):
            layers.append(EqualLinear(z_dim if i == 0 else w_dim, w_dim, lr_mul=lr_mul, activation=True))
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)
