import torch
import torch.nn as nn


def set_requires_grad(nets, requires_grad=False):
    if not isinstance(nets, (list, tuple)):
        nets = [nets]
    for net in nets:
        if net is not None:
            for p in net.parameters():
                p.requires_grad = requires_grad


Z = 8
G = nn.Sequential(nn.Linear(Z, 32), nn.LeakyReLU(0.2), nn.Linear(32, 2))
D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()


def real_batch(n=32):
    theta = torch.rand(n) * 6.283
    return torch.stack([theta.cos(), theta.sin()], 1) + 0.05 * torch.randn(n, 2)


torch.manual_seed(0)
for it in range(10):
    real = real_batch()
    fake = G(torch.randn(real.size(0), Z))

    # update D
    set_requires_grad(D, True)
    opt_D.zero_grad()
    pred_real = D(real)
    pred_fake = D(fake.detach())
    loss_D = 0.5 * (bce(pred_real, torch.ones_like(pred_real)) +
                    bce(pred_fake, torch.zeros_like(pred_fake)))
    loss_D.backward()
    opt_D.step()

    # update G
    set_requires_grad(D, False)
    opt_G.zero_grad()
    pred = D(fake)
    loss_G = bce(pred, torch.ones_like(pred))
    loss_G.backward()
    opt_G.step()

    if it % 2 == 0:
        print(f"[{it}] loss_D={loss_D.item():.3f} loss_G={loss_G.item():.3f}")
