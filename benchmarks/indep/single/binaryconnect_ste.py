# BinaryConnect-style binarized activations with a straight-through estimator
# (hardtanh gradient), plus a VQ-style bottleneck with the x + (q - x).detach() trick.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class BinarizeSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[x.abs() > 1] = 0
        return grad_input


class Net(nn.Module):
    def __init__(self, n_codes=8, d=12):
        super().__init__()
        self.fc1 = nn.Linear(20, 64)
        self.bn = nn.BatchNorm1d(64)
        self.fc2 = nn.Linear(64, d)
        self.codebook = nn.Embedding(n_codes, d)
        self.fc3 = nn.Linear(d, 3)

    def forward(self, x):
        h = BinarizeSTE.apply(self.bn(self.fc1(x)))
        z = self.fc2(h)
        idx = torch.cdist(z, self.codebook.weight).argmin(dim=1)
        q = self.codebook(idx)
        commit = F.mse_loss(z, q.detach()) + F.mse_loss(q, z.detach())
        z_q = z + (q - z).detach()
        return self.fc3(z_q), commit


model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(64, 20), torch.randint(0, 3, (64,))

for step in range(6):
    logits, commit = model(x)
    loss = F.cross_entropy(logits, y) + 0.25 * commit
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
