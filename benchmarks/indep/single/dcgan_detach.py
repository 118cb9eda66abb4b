# Minimal DCGAN-style training loop (MLP version) on random "images".
import torch
import torch.nn as nn

torch.manual_seed(0)
nz, img = 16, 64

netG = nn.Sequential(nn.Linear(nz, 128), nn.BatchNorm1d(128), nn.ReLU(True), nn.Linear(128, img), nn.Tanh())
netD = nn.Sequential(nn.Linear(img, 128), nn.LeakyReLU(0.2, inplace=True), nn.Linear(128, 1))


def weights_init(m):
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0.0, 0.02)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm1d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


netG.apply(weights_init)
netD.apply(weights_init)
criterion = nn.BCEWithLogitsLoss()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
real_data = torch.rand(64, img) * 2 - 1

for i, real in enumerate(real_data.split(16)):
    b = real.size(0)
    real_label = torch.ones(b, 1)
    fake_label = torch.zeros(b, 1)

    # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    errD_real = criterion(netD(real), real_label)
    errD_real.backward()
    noise = torch.randn(b, nz)
    fake = netG(noise)
    errD_fake = criterion(netD(fake.detach()), fake_label)
    errD_fake.backward()
    optD.step()

    # (2) Update G: maximize log(D(G(z)))
    netG.zero_grad()
    errG = criterion(netD(fake), real_label)
    errG.backward()
    optG.step()
    print(i, (errD_real + errD_fake).item(), errG.item())
