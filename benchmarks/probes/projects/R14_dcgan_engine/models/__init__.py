from .gan import Discriminator, Generator, weights_init
