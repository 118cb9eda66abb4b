import math

import torch
import torch.nn as nn


class FusedLeakyReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bias, negative_slope, scale):
        shape = [1, -1] + [1] * (x.dim() - 2)
        out = x + bias.view(*shape)
        out = torch.where(out >= 0, out, out * negative_slope) * scale
        ctx.save_for_backward(out)
        ctx.negative_slope = negative_slope
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        slope = torch.where(out >= 0, torch.ones_like(out), torch.full_like(out, ctx.negative_slope))
        grad_input = grad_output * slope * ctx.scale
        return grad_input, None, None, None


def fused_leaky_relu(x, bias, negative_slope=0.2, scale=math.sqrt(2)):
    return FusedLeakyReLUFunction.apply(x, bias, negative_slope, scale)


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels, negative_slope=0.2, scale=math.sqrt(2)):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.negative_slope = negative_slope
        self.scale = scale

    def forward(self, x):
        return fused_leaky_relu(x, self.bias, self.negative_slope, self.scale)
