import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.lambd, None


class MyLinear(nn.Module):
    def __init__(self, fin, fout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(fout, fin).uniform_(-0.1, 0.1))
        self.bias = nn.Parameter(torch.zeros(fout))

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)


class DANN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(MyLinear(10, 32), nn.ReLU(), MyLinear(32, 16), nn.ReLU())
        self.label_clf = nn.Linear(16, 2)
        self.domain_clf = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x, lambd=1.0):
        f = self.features(x)
        return self.label_clf(f), self.domain_clf(GradReverse.apply(f, lambd)).squeeze(1)


torch.manual_seed(0)
model = DANN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
xs, ys = torch.randn(64, 10), torch.randint(0, 2, (64,))
xt = torch.randn(64, 10) + 0.5

for step in range(8):
    lambd = 2.0 / (1.0 + torch.exp(torch.tensor(-10.0 * step / 8)).item()) - 1
    ls, ds = model(xs, lambd)
    _, dt = model(xt, lambd)
    loss_cls = F.cross_entropy(ls, ys)
    loss_dom = F.binary_cross_entropy_with_logits(torch.cat([ds, dt]),
                                                  torch.cat([torch.zeros(64), torch.ones(64)]))
    loss = loss_cls + loss_dom
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, round(loss_cls.item(), 4), round(loss_dom.item(), 4))
