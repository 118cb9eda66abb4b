# Physics-informed neural network for the 1D heat equation u_t = k * u_xx
# with u(0,x) = sin(pi x) and u(t,0) = u(t,1) = 0.
import math
import torch
import torch.nn as nn

torch.manual_seed(0)
k = 0.1


class PINN(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, width), nn.Tanh(),
                                 nn.Linear(width, width), nn.Tanh(),
                                 nn.Linear(width, 1))

    def forward(self, t, x):
        return self.net(torch.cat([t, x], dim=1))


def grad(out, inp):
    return torch.autograd.grad(out, inp, grad_outputs=torch.ones_like(out), create_graph=True)[0]


model = PINN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for it in range(8):
    t = torch.rand(64, 1, requires_grad=True)
    x = torch.rand(64, 1, requires_grad=True)
    u = model(t, x)
    u_t = grad(u, t)
    u_x = grad(u, x)
    u_xx = grad(u_x, x)
    residual = u_t - k * u_xx

    x0 = torch.rand(32, 1)
    ic = model(torch.zeros_like(x0), x0) - torch.sin(math.pi * x0)
    tb = torch.rand(32, 1)
    bc = torch.cat([model(tb, torch.zeros_like(tb)), model(tb, torch.ones_like(tb))])

    loss = residual.pow(2).mean() + ic.pow(2).mean() + bc.pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 2 == 0:
        print(it, loss.item())
