"""A hand-written fused Linear+GELU autograd.Function (written to save
activation memory by recomputing the pre-activation in backward) used in the
MLP blocks of a small model."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def gelu_grad(x):
    cdf = 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
    pdf = torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf


class FusedLinearGELU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight, bias)
        return F.gelu(F.linear(x, weight, bias))

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, bias = ctx.saved_tensors
        pre = F.linear(x, weight, bias)          # recompute instead of storing
        grad_pre = grad_out * gelu_grad(pre)
        grad_x = grad_pre @ weight
        grad_w = grad_pre.reshape(-1, grad_pre.shape[-1]).t() @ x.reshape(-1, x.shape[-1])
        return grad_x, grad_w, None


class FusedMLP(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        h = FusedLinearGELU.apply(self.norm(x), self.fc1.weight, self.fc1.bias)
        return x + self.fc2(h)


class Model(nn.Module):
    def __init__(self, d=16, hidden=64, depth=2, n_out=4):
        super().__init__()
        self.inp = nn.Linear(8, d)
        self.blocks = nn.ModuleList([FusedMLP(d, hidden) for _ in range(depth)])
        self.out = nn.Linear(d, n_out)

    def forward(self, x):
        h = self.inp(x)
        for blk in self.blocks:
            h = blk(h)
        return self.out(h)


# sanity check of grad_x against autograd (double precision)
xc = torch.randn(3, 5, dtype=torch.double, requires_grad=True)
wc = torch.randn(4, 5, dtype=torch.double)
bc = torch.randn(4, dtype=torch.double)
ref = torch.autograd.grad(F.gelu(F.linear(xc, wc, bc)).sum(), xc)[0]
mine = torch.autograd.grad(FusedLinearGELU.apply(xc, wc, bc).sum(), xc)[0]
assert torch.allclose(ref, mine)

model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(8):
    x, y = torch.randn(32, 8), torch.randn(32, 4)
    loss = F.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
