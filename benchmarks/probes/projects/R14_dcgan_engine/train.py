import torch

from engine import d_step, g_step, sample
from models import Discriminator, Generator, weights_init
from utils import RunningStats, toy_digits

torch.manual_seed(0)
NZ = 16

netG = Generator(nz=NZ)
netD = Discriminator()
netG.apply(weights_init)
netD.apply(weights_init)
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))

data = toy_digits(64)
for epoch in range(3):
    stats = RunningStats()
    for i in range(0, len(data), 16):
        real = data[i:i + 16]
        lossD, fake = d_step(netD, netG, real, optD, NZ)
        lossG = g_step(netD, fake, optG)
        stats.add(lossD=lossD, lossG=lossG)
    print(f"epoch {epoch} D {stats.mean('lossD'):.3f} G {stats.mean('lossG'):.3f}")

samples = sample(netG, 8, NZ)
print("sample range", samples.min().item(), samples.max().item())
