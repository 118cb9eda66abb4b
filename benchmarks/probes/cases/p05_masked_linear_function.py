import torch
import torch.nn as nn


class MaskedLinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, weight, mask):
        ctx.save_for_backward(input, weight, mask)
        return input.mm((weight * mask).t())

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, mask = ctx.saved_tensors
        grad_input = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight * mask)
        if ctx.needs_input_grad[2]:
            grad_weight = grad_output.t().mm(input) * mask
        return grad_input, grad_weight, None


class MaskedLinear(nn.Module):
    def __init__(self, in_features, out_features, density=0.5):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) * 0.1)
        self.register_buffer("mask", (torch.rand(out_features, in_features) < density).float())

    def forward(self, x):
        return MaskedLinearFunction.apply(x, self.weight, self.mask)


class SparseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MaskedLinear(16, 32)
        self.l2 = MaskedLinear(32, 1)

    def forward(self, x):
        return self.l2(torch.tanh(self.l1(x)))


torch.manual_seed(0)
net = SparseNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
X = torch.randn(64, 16)
Y = X[:, :4].sum(1, keepdim=True)

for it in range(10):
    pred = net(X)
    loss = ((pred - Y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 2 == 0:
        sparsity = sum(m.mask.mean().item() for m in (net.l1, net.l2)) / 2
        print(it, loss.item(), sparsity)
