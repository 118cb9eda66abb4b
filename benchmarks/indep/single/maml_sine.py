# MAML on sine-wave regression, second order, functional forward with explicit weights.
import torch
import torch.nn.functional as F

torch.manual_seed(0)


def init_params():
    return [
        torch.nn.init.kaiming_uniform_(torch.empty(40, 1)).requires_grad_(),
        torch.zeros(40, requires_grad=True),
        torch.nn.init.kaiming_uniform_(torch.empty(40, 40)).requires_grad_(),
        torch.zeros(40, requires_grad=True),
        torch.nn.init.kaiming_uniform_(torch.empty(1, 40)).requires_grad_(),
        torch.zeros(1, requires_grad=True),
    ]


def forward(x, w):
    h = F.relu(F.linear(x, w[0], w[1]))
    h = F.relu(F.linear(h, w[2], w[3]))
    return F.linear(h, w[4], w[5])


def sample_task():
    amp, phase = torch.rand(1) * 4.9 + 0.1, torch.rand(1) * 3.14
    def f(n):
        x = torch.rand(n, 1) * 10 - 5
        return x, amp * torch.sin(x + phase)
    return f


params = init_params()
meta_opt = torch.optim.Adam(params, lr=1e-3)
inner_lr, inner_steps = 0.01, 2

for it in range(5):
    meta_opt.zero_grad()
    meta_loss = 0.0
    for _ in range(4):
        task = sample_task()
        xs, ys = task(10)
        xq, yq = task(10)
        fast = params
        for _ in range(inner_steps):
            loss = F.mse_loss(forward(xs, fast), ys)
            grads = torch.autograd.grad(loss, fast, create_graph=True)
            fast = [w - inner_lr * g for w, g in zip(fast, grads)]
        meta_loss = meta_loss + F.mse_loss(forward(xq, fast), yq)
    meta_loss = meta_loss / 4
    meta_loss.backward()
    meta_opt.step()
    print(it, meta_loss.item())
