"""Alternating GAN updates."""
import torch

from losses import GAN_LOSSES


def set_requires_grad(nets, flag):
    for net in nets if isinstance(nets, (list, tuple)) else [nets]:
        for p in net.parameters():
            p.requires_grad = flag


class GANTrainer:
    def __init__(self, G, D, loss="hinge", lr_g=2e-4, lr_d=4e-4, n_critic=1):
        self.G, self.D = G, D
        self.d_loss_fn, self.g_loss_fn = GAN_LOSSES[loss]
        self.opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.0, 0.9))
        self.n_critic = n_critic

    def d_step(self, real, z):
        set_requires_grad(self.D, True)
        with torch.no_grad():
            fake = self.G(z)
        d_loss = self.d_loss_fn(self.D(real), self.D(fake.detach()))
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        return d_loss.item()

    def g_step(self, z):
        set_requires_grad(self.D, False)
        g_loss = self.g_loss_fn(self.D(self.G(z)))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        set_requires_grad(self.D, True)
        return g_loss.item()

    def train_step(self, real):
        z_dim = self.G.z_dim
        for _ in range(self.n_critic):
            d = self.d_step(real, torch.randn(real.shape[0], z_dim))
        g = self.g_step(torch.randn(real.shape[0], z_dim))
        return {"d": d, "g": g}
