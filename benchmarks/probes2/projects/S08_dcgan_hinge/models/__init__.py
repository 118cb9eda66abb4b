from .discriminator import Discriminator
from .generator import Generator


def build_gan(cfg):
    return Generator(cfg["z_dim"], cfg["g_ch"]), Discriminator(cfg["d_ch"])
