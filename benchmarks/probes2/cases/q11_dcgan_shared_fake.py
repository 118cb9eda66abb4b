"""Small DCGAN on 16x16 images with the non-saturating loss. One batch of
fakes is generated per iteration and reused for both the D and the G update."""
import torch
import torch.nn as nn

torch.manual_seed(0)

NZ, NGF, NDF, BATCH = 16, 16, 16, 8


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF), nn.ReLU(True),
            nn.ConvTranspose2d(NGF, 1, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False))

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


netG, netD = Generator(), Discriminator()
netG.apply(weights_init)
netD.apply(weights_init)
criterion = nn.BCEWithLogitsLoss()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
real_label, fake_label = 1.0, 0.0

G_losses, D_losses = [], []
for it in range(5):
    real = torch.rand(BATCH, 1, 16, 16) * 2 - 1
    noise = torch.randn(BATCH, NZ, 1, 1)
    with torch.no_grad():
        fake = netG(noise)

    # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
    optD.zero_grad()
    out_real = netD(real)
    errD_real = criterion(out_real, torch.full_like(out_real, real_label))
    out_fake = netD(fake)
    errD_fake = criterion(out_fake, torch.full_like(out_fake, fake_label))
    errD = errD_real + errD_fake
    errD.backward()
    optD.step()

    # (2) update G: maximize log(D(G(z)))
    optG.zero_grad()
    out = netD(fake)
    errG = criterion(out, torch.full_like(out, real_label))
    errG.backward()
    optG.step()

    G_losses.append(errG.item())
    D_losses.append(errD.item())
