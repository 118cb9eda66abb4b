from .backbone import PretrainedBackbone
from .centernet import CenterNet


def build_detector(cfg):
    backbone = PretrainedBackbone(width=cfg["width"])
    return CenterNet(backbone, num_classes=cfg["num_classes"], head_ch=cfg["head_ch"],
                     freeze_backbone=cfg["freeze_backbone"])
