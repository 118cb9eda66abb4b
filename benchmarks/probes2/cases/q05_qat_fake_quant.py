"""Quantisation-aware training of a small MLP: every linear layer fake-quantises
its weights to int4 with a learnable per-layer step size (LSQ style)."""
import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

parser = argparse.ArgumentParser()
parser.add_argument("--bits", type=int, default=4)
parser.add_argument("--steps", type=int, default=12)
parser.add_argument("--lr", type=float, default=1e-2)
args = parser.parse_args([])


class QuantLinear(nn.Linear):
    def __init__(self, in_f, out_f, bits=4):
        super().__init__(in_f, out_f)
        self.qmax = 2 ** (bits - 1) - 1
        init_step = self.weight.detach().abs().mean() * 2 / (self.qmax ** 0.5)
        self.step_size = nn.Parameter(init_step.clone())

    def quantize(self, w):
        s = self.step_size.abs() + 1e-8
        q = torch.clamp(w / s, -self.qmax - 1, self.qmax)
        q = torch.round(q)
        return q * s

    def forward(self, x):
        return F.linear(x, self.quantize(self.weight), self.bias)


class QMLP(nn.Module):
    def __init__(self, dims, bits):
        super().__init__()
        layers = []
        for i, o in zip(dims[:-1], dims[1:]):
            layers += [QuantLinear(i, o, bits), nn.ReLU()]
        self.net = nn.Sequential(*layers[:-1])

    def forward(self, x):
        return self.net(x)


def train_epoch(model, opt, x, y):
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    acc = (logits.argmax(1) == y).float().mean().item()
    return loss.item(), acc


model = QMLP([20, 64, 64, 3], args.bits)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
x = torch.randn(128, 20)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()

history = [train_epoch(model, optimizer, x, y) for _ in range(args.steps)]
