# Quantization-aware training: fake-quantize the weights to 4 bits with a
# straight-through estimator. Bias updates, but the weights never change.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class FakeQuantSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w, num_bits):
        qmax = 2 ** (num_bits - 1) - 1
        scale = w.abs().max().clamp(min=1e-8) / qmax
        return torch.round(w / scale).clamp(-qmax, qmax) * scale

    @staticmethod
    def backward(ctx, grad_output):
        grad_w = None
        if ctx.needs_input_grad[1]:
            grad_w = grad_output.clone()
        return grad_w, None


class QLinear(nn.Linear):
    def __init__(self, in_f, out_f, num_bits=4):
        super().__init__(in_f, out_f)
        self.num_bits = num_bits

    def forward(self, x):
        w_q = FakeQuantSTE.apply(self.weight, self.num_bits)
        return F.linear(x, w_q, self.bias)


model = nn.Sequential(QLinear(16, 32), nn.ReLU(), QLinear(32, 4))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(64, 16)
y = torch.randint(0, 4, (64,))

for it in range(5):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(it, loss.item())
