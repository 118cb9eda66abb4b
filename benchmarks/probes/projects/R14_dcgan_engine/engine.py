import torch
import torch.nn.functional as F


def d_step(netD, netG, real, optD, nz):
    b = real.size(0)
    z = torch.randn(b, nz, 1, 1)
    fake = netG(z)
    out_real = netD(real)
    out_fake = netD(fake.detach())
    lossD = F.binary_cross_entropy_with_logits(out_real, torch.ones_like(out_real)) + \
        F.binary_cross_entropy_with_logits(out_fake, torch.zeros_like(out_fake))
    optD.zero_grad()
    lossD.backward()
    optD.step()
    return lossD.item(), fake


def g_step(netD, fake, optG):
    out = netD(fake)
    lossG = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
    optG.zero_grad()
    lossG.backward()
    optG.step()
    return lossG.item()


@torch.no_grad()
def sample(netG, n, nz):
    netG.eval()
    imgs = netG(torch.randn(n, nz, 1, 1))
    netG.train()
    return imgs
