import torch
import torch.nn as nn
import torch.nn.functional as F


def round_ste(x):
    """Round with a straight-through gradient estimator."""
    return x + (torch.round(x) - x).detach()


def fake_quantize(x, num_bits=4):
    qmax = 2 ** (num_bits - 1) - 1
    scale = x.detach().abs().max().clamp(min=1e-8) / qmax
    return round_ste(x / scale).clamp(-qmax - 1, qmax) * scale


class QuantLinear(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, w_bits=4, a_bits=8):
        super().__init__(in_features, out_features, bias)
        self.w_bits = w_bits
        self.a_bits = a_bits

    def forward(self, x):
        w_q = fake_quantize(self.weight, self.w_bits)
        x_q = fake_quantize(x, self.a_bits)
        return F.linear(x_q, w_q, self.bias)
