# WGAN-GP (Gulrajani et al.): gradient penalty on interpolates with create_graph=True.
import torch
import torch.nn as nn

torch.manual_seed(0)
nz, dim, lambda_gp = 8, 16, 10.0

generator = nn.Sequential(nn.Linear(nz, 64), nn.LeakyReLU(0.2), nn.Linear(64, dim))
critic = nn.Sequential(nn.Linear(dim, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1, bias=False))
opt_c = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.0, 0.9))


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1)
    interp = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(interp)
    grads = torch.autograd.grad(outputs=out, inputs=interp,
                                grad_outputs=torch.ones_like(out),
                                create_graph=True, retain_graph=True)[0]
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


real_data = torch.randn(128, dim)
for it in range(6):
    real = real_data[torch.randint(0, 128, (32,))]
    for _ in range(3):
        fake = generator(torch.randn(32, nz))
        c_loss = critic(fake.detach()).mean() - critic(real).mean()
        gp = gradient_penalty(critic, real, fake.detach())
        opt_c.zero_grad()
        (c_loss + lambda_gp * gp).backward()
        opt_c.step()
    g_loss = -critic(generator(torch.randn(32, nz))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    print(it, c_loss.item(), gp.item(), g_loss.item())
