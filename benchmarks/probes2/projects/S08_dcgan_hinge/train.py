"""Hinge-loss DCGAN with spectral-norm discriminator on synthetic colour blobs."""
import torch

from engine import GANTrainer
from models import build_gan

CFG = {"z_dim": 16, "g_ch": 32, "d_ch": 32, "loss": "hinge", "n_critic": 2, "iters": 6, "batch": 16}


def real_batch(n, gen):
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 16), indexing="ij")
    centers = torch.rand(n, 2, generator=gen) * 1.2 - 0.6
    d2 = (xx - centers[:, 0, None, None]) ** 2 + (yy - centers[:, 1, None, None]) ** 2
    blob = torch.exp(-d2 / 0.1)
    colour = torch.rand(n, 3, 1, 1, generator=gen)
    return (blob.unsqueeze(1) * colour) * 2 - 1


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    G, D = build_gan(CFG)
    trainer = GANTrainer(G, D, loss=CFG["loss"], n_critic=CFG["n_critic"])
    for it in range(CFG["iters"]):
        logs = trainer.train_step(real_batch(CFG["batch"], gen))
        print(it, {k: round(v, 4) for k, v in logs.items()})


if __name__ == "__main__":
    main()
