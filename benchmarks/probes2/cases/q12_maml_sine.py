"""Second-order MAML on sine-wave regression: the inner loop adapts a copy of
the weights with torch.autograd.grad(create_graph=True); the meta-optimizer
updates the initial weights through the adaptation."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SineNet(nn.Module):
    def __init__(self, hidden=40):
        super().__init__()
        self.l1 = nn.Linear(1, hidden)
        self.l2 = nn.Linear(hidden, hidden)
        self.l3 = nn.Linear(hidden, 1)

    def functional_forward(self, x, weights):
        w1, b1, w2, b2, w3, b3 = weights
        h = F.relu(F.linear(x, w1, b1))
        h = F.relu(F.linear(h, w2, b2))
        return F.linear(h, w3, b3)

    def forward(self, x):
        return self.functional_forward(x, list(self.parameters()))


def sample_task(k=10):
    amp, phase = torch.empty(1).uniform_(0.1, 5.0), torch.empty(1).uniform_(0, math.pi)
    def draw():
        x = torch.empty(k, 1).uniform_(-5, 5)
        return x, amp * torch.sin(x + phase)
    return draw(), draw()


def adapt(model, x, y, inner_lr=0.01, steps=2):
    weights = list(model.parameters())
    for _ in range(steps):
        loss = F.mse_loss(model.functional_forward(x, weights), y)
        grads = torch.autograd.grad(loss, weights, create_graph=True)
        weights = [w - inner_lr * g for w, g in zip(weights, grads)]
    return weights


model = SineNet()
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
meta_batch = 4
history = []
for it in range(6):
    meta_opt.zero_grad()
    meta_loss = 0.0
    for _ in range(meta_batch):
        (xs, ys), (xq, yq) = sample_task()
        fast = adapt(model, xs, ys)
        meta_loss = meta_loss + F.mse_loss(model.functional_forward(xq, fast), yq)
    meta_loss = meta_loss / meta_batch
    meta_loss.backward()
    meta_opt.step()
    history.append(meta_loss.item())
