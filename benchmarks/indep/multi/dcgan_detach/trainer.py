import torch
import torch.nn as nn


class GANTrainer:
    def __init__(self, netG, netD, nz, lr=2e-4):
        self.netG, self.netD, self.nz = netG, netD, nz
        self.criterion = nn.BCEWithLogitsLoss()
        self.optG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(0.5, 0.999))
        self.optD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(0.5, 0.999))
        self.fixed_noise = torch.randn(4, nz, 1, 1)

    def step(self, real):
        b = real.size(0)
        real_label = torch.full((b,), 1.0)
        fake_label = torch.full((b,), 0.0)

        # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
        self.netD.zero_grad()
        errD_real = self.criterion(self.netD(real), real_label)
        errD_real.backward()
        noise = torch.randn(b, self.nz, 1, 1)
        fake = self.netG(noise)
        errD_fake = self.criterion(self.netD(fake.detach()), fake_label)
        errD_fake.backward()
        self.optD.step()

        # (2) update G: maximize log(D(G(z)))
        self.netG.zero_grad()
        errG = self.criterion(self.netD(fake), real_label)
        errG.backward()
        self.optG.step()
        return (errD_real + errD_fake).item(), errG.item()

    @torch.no_grad()
    def snapshot(self):
        self.netG.eval()
        imgs = self.netG(self.fixed_noise)
        self.netG.train()
        return imgs.clamp(-1, 1)
