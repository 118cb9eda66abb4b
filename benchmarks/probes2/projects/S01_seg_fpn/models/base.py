"""Base class shared by all decode heads (mmseg-style)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def resize(x, size, mode="bilinear", align_corners=False):
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode=mode, align_corners=align_corners)


class BaseDecodeHead(nn.Module):
    """Holds the classifier and the multi-level input handling.

    Subclasses implement `forward(feats)` and call `self._transform_inputs(feats)`
    to get the selected levels resized to the finest one and concatenated.
    """

    def __init__(self, in_channels, channels, num_classes, in_index=(0, 1, 2, 3),
                 dropout_ratio=0.1, align_corners=False):
        super().__init__()
        self.in_channels = [in_channels[i] for i in in_index]
        self.in_index = list(in_index)
        self.channels = channels
        self.num_classes = num_classes
        self.align_corners = align_corners
        self.dropout = nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        self.conv_seg = nn.Conv2d(channels, num_classes, kernel_size=1)

    def _transform_inputs(self, feats):
        feats = [feats[i] for i in self.in_index]
        outs = []
        with torch.no_grad():
            target_size = feats[0].shape[2:]
            for f in feats:
                outs.append(resize(f, target_size, align_corners=self.align_corners))
        return torch.cat(outs, dim=1)

    def cls_seg(self, feat):
        return self.conv_seg(self.dropout(feat))

    def upsample_to(self, logits, size):
        return resize(logits, size, align_corners=self.align_corners)
