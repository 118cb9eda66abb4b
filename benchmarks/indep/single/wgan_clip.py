# WGAN (Arjovsky et al.) with weight clipping, RMSprop, n_critic=5.
import torch
import torch.nn as nn

torch.manual_seed(0)
nz, dim = 8, 16

G = nn.Sequential(nn.Linear(nz, 64), nn.ReLU(), nn.Linear(64, dim))
D = nn.Sequential(nn.Linear(dim, 64), nn.ReLU(), nn.Linear(64, 1))
optD = torch.optim.RMSprop(D.parameters(), lr=5e-5)
optG = torch.optim.RMSprop(G.parameters(), lr=5e-5)
clip_value, n_critic = 0.01, 5
real_data = torch.randn(256, dim) * 0.5 + 1.0

for it in range(10):
    real = real_data[torch.randint(0, 256, (32,))]
    z = torch.randn(32, nz)
    fake = G(z).detach()
    loss_D = -torch.mean(D(real)) + torch.mean(D(fake))
    optD.zero_grad()
    loss_D.backward()
    optD.step()
    with torch.no_grad():
        for p in D.parameters():
            p.data.clamp_(-clip_value, clip_value)

    if it % n_critic == 0:
        optG.zero_grad()
        loss_G = -torch.mean(D(G(torch.randn(32, nz))))
        loss_G.backward()
        optG.step()
        print(it, loss_D.item(), loss_G.item())
