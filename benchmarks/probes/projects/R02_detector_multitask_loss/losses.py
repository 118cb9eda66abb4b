import torch
import torch.nn as nn
import torch.nn.functional as F


def box_cxcywh_to_xyxy(b):
    cx, cy, w, h = b.unbind(-1)
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


def giou(a, b):
    a, b = box_cxcywh_to_xyxy(a), box_cxcywh_to_xyxy(b)
    lt = torch.max(a[:, :2], b[:, :2])
    rb = torch.min(a[:, 2:], b[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).prod(-1)
    union = area_a + area_b - inter
    lt_c = torch.min(a[:, :2], b[:, :2])
    rb_c = torch.max(a[:, 2:], b[:, 2:])
    area_c = (rb_c - lt_c).clamp(min=0).prod(-1)
    return inter / union - (area_c - union) / area_c


class DetectionLoss(nn.Module):
    def __init__(self, cls_weight=1.0, l1_weight=5.0, giou_weight=2.0):
        super().__init__()
        self.weights = {"cls": cls_weight, "l1": l1_weight, "giou": giou_weight}
        self.last = {}

    def forward(self, outputs, targets):
        cls_loss = F.cross_entropy(outputs["logits"], targets["labels"])
        l1_loss = F.l1_loss(outputs["boxes"], targets["boxes"])
        giou_loss = (1 - giou(outputs["boxes"], targets["boxes"])).mean()

        self.last = {"cls": cls_loss.item(), "l1": l1_loss.item(), "giou": giou_loss.item()}
        total = self.weights["cls"] * cls_loss
        total = total + self.weights["l1"] * self.last["l1"] + self.weights["giou"] * self.last["giou"]
        return total
