from .moco import MoCo
from .encoder import ConvEncoder


def build_moco(dim=32, queue_size=64, width=16):
    return MoCo(lambda: ConvEncoder(width=width, out_dim=dim), dim=dim, K=queue_size)
