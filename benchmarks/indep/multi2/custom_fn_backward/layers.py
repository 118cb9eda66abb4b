import math

import torch
import torch.nn as nn

from ops import fused_linear_relu


class FusedMLPBlock(nn.Module):
    def __init__(self, din, dout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dout, din))
        self.bias = nn.Parameter(torch.zeros(dout))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x):
        return fused_linear_relu(x, self.weight, self.bias)


class FusedMLP(nn.Module):
    def __init__(self, din=12, hidden=32, dout=1, depth=2):
        super().__init__()
        dims = [din] + [hidden] * depth
        self.blocks = nn.ModuleList(FusedMLPBlock(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(hidden, dout)

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return self.out(x)
