import torch
import torch.nn.functional as F

from networks import Generator, Discriminator
from utils import sample_real, sample_fake, mode_coverage


def main():
    torch.manual_seed(0)
    G = Generator()
    D = Discriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bs = 64

    for it in range(20):
        # --- discriminator step ---
        real = sample_real(bs)
        fake = sample_fake(G, bs)
        d_real = D(real)
        d_fake = D(fake.detach())
        loss_d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
            F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        # --- generator step ---
        fake = sample_fake(G, bs)
        d_out = D(fake)
        loss_g = F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

        if it % 5 == 0:
            cov = mode_coverage(sample_fake(G, 256))
            print(f"it {it}: loss_d={loss_d.item():.3f} loss_g={loss_g.item():.3f} modes={cov}")


if __name__ == "__main__":
    main()
