import torch
import torch.nn as nn

nz, n_critic, clip_value = 6, 3, 0.01


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(nz, 32), nn.ReLU(True), nn.Linear(32, 16), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(16, 32), nn.LeakyReLU(0.2, True), nn.Linear(32, 1, bias=False))

    def forward(self, x):
        return self.main(x).mean(0).view(1)


torch.manual_seed(0)
netG, netD = Generator(), Critic()
optimizerD = torch.optim.RMSprop(netD.parameters(), lr=5e-4)
optimizerG = torch.optim.RMSprop(netG.parameters(), lr=5e-4)
one = torch.tensor([1.0])
mone = one * -1
dataset = torch.rand(256, 16) * 2 - 1

gen_iterations = 0
for i in range(0, 256, 16):
    # (1) critic
    for p in netD.parameters():
        p.requires_grad = True
    with torch.no_grad():
        for p in netD.parameters():
            p.clamp_(-clip_value, clip_value)
    real = dataset[i:i + 16]
    netD.zero_grad()
    errD_real = netD(real)
    errD_real.backward(one)
    with torch.no_grad():
        fake = netG(torch.randn(16, nz))
    errD_fake = netD(fake)
    errD_fake.backward(mone)
    optimizerD.step()

    # (2) generator, every n_critic critic iterations
    if (i // 16) % n_critic == n_critic - 1:
        for p in netD.parameters():
            p.requires_grad = False
        netG.zero_grad()
        errG = netD(netG(torch.randn(16, nz)))
        errG.backward(one)
        optimizerG.step()
        gen_iterations += 1
        print(f"[{i}] Loss_D {(errD_real - errD_fake).item():.5f} Loss_G {errG.item():.5f}")
