import torch

from losses import moment_matching_loss
from models import EqualLinear, MappingNetwork

torch.manual_seed(0)
Z_DIM, W_DIM = 16, 16

mapping = MappingNetwork(Z_DIM, W_DIM, n_layers=3)
readout = EqualLinear(W_DIM, 4)
params = list(mapping.parameters()) + list(readout.parameters())
optimizer = torch.optim.Adam(params, lr=2e-3, betas=(0.0, 0.99))

target_mean = torch.linspace(-1, 1, 4)
target_std = torch.full((4,), 0.5)

for step in range(60):
    z = torch.randn(32, Z_DIM)
    w = mapping(z)
    y = readout(w)
    loss = moment_matching_loss(y, target_mean, target_std)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step} loss {loss.item():.4f}")
