from .backbone import ConvBackbone
from .probe import LinearProbe


def build_model(cfg):
    backbone = ConvBackbone(width=cfg.width)
    return LinearProbe(backbone, cfg.num_classes, freeze_backbone=cfg.freeze_backbone)
