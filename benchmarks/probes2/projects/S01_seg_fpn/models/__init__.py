"""Model zoo for the toy semantic-segmentation project."""
import torch.nn as nn

from .backbone import TinyResNet
from .fpn_head import FPNHead

__all__ = ["EncoderDecoder", "build_model", "BACKBONES", "HEADS"]

BACKBONES = {"tiny_resnet": TinyResNet}
HEADS = {"fpn": FPNHead}


class EncoderDecoder(nn.Module):
    """Backbone -> decode head -> upsample to the input resolution."""

    def __init__(self, backbone, decode_head):
        super().__init__()
        self.backbone = backbone
        self.decode_head = decode_head

    def forward(self, img):
        feats = self.backbone(img)
        logits = self.decode_head(feats)
        return self.decode_head.upsample_to(logits, img.shape[-2:])


def build_model(cfg):
    backbone = BACKBONES[cfg["backbone"]["type"]](**{k: v for k, v in cfg["backbone"].items() if k != "type"})
    head_cfg = {k: v for k, v in cfg["decode_head"].items() if k != "type"}
    head = HEADS[cfg["decode_head"]["type"]](in_channels=backbone.out_channels, **head_cfg)
    return EncoderDecoder(backbone, head)
