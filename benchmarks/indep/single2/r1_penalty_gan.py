# Non-saturating GAN with the R1 gradient penalty on real data (StyleGAN2-style, lazy
# regularisation every 2 steps) and gradient-norm clipping on both networks.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
Z, D_IN = 8, 12
G = nn.Sequential(nn.Linear(Z, 32), nn.LeakyReLU(0.2), nn.Linear(32, D_IN))
D = nn.Sequential(nn.Linear(D_IN, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.0, 0.99))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.99))
gamma, r1_every = 10.0, 2
real_data = torch.randn(64, D_IN) * 0.5 + 1.0

for step in range(8):
    real = real_data[torch.randint(0, 64, (16,))]
    # ---- discriminator
    fake = G(torch.randn(16, Z))
    d_loss = F.softplus(D(fake.detach())).mean() + F.softplus(-D(real)).mean()
    if step % r1_every == 0:
        real_r = real.clone().requires_grad_(True)
        out = D(real_r)
        grad_real, = torch.autograd.grad(out.sum(), real_r, create_graph=True)
        r1 = grad_real.pow(2).sum(dim=1).mean()
        d_loss = d_loss + 0.5 * gamma * r1_every * r1
    opt_d.zero_grad()
    d_loss.backward()
    torch.nn.utils.clip_grad_norm_(D.parameters(), max_norm=10.0)
    opt_d.step()
    # ---- generator
    g_loss = F.softplus(-D(fake)).mean()
    opt_g.zero_grad()
    g_loss.backward()
    torch.nn.utils.clip_grad_norm_(G.parameters(), max_norm=10.0)
    opt_g.step()
    print(step, d_loss.item(), g_loss.item())
