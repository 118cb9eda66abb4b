import torch

from models import Generator, Discriminator, weights_init
from trainer import GANTrainer

NZ = 16


def main():
    torch.manual_seed(0)
    netG, netD = Generator(NZ), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    trainer = GANTrainer(netG, netD, NZ)
    data = torch.rand(32, 1, 16, 16) * 2 - 1
    for epoch in range(2):
        for i in range(0, 32, 8):
            errD, errG = trainer.step(data[i:i + 8])
        print(f"epoch {epoch} lossD {errD:.3f} lossG {errG:.3f}")
    print("snapshot", tuple(trainer.snapshot().shape))


if __name__ == "__main__":
    main()
