import torch
import torch.nn.functional as F


def focal_loss(pred_logits, gt, alpha=2, beta=4):
    """Penalty-reduced pixel-wise focal loss (CornerNet / CenterNet)."""
    pred = pred_logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = 1.0 - pos
    pos_loss = torch.log(pred) * (1 - pred) ** alpha * pos
    neg_loss = torch.log(1 - pred) * pred ** alpha * (1 - gt) ** beta * neg
    num_pos = max(pos.sum().item(), 1.0)
    return -(pos_loss.sum() + neg_loss.sum()) / num_pos


def reg_l1_loss(pred, target, mask):
    """pred/target: (B, 2, H, W); mask: (B, H, W) with 1 at object centres."""
    m = mask.unsqueeze(1).expand_as(pred)
    return F.l1_loss(pred * m, target * m, reduction="sum") / (m.sum() + 1e-4)


class CenterNetLoss:
    def __init__(self, wh_weight=0.1, off_weight=1.0):
        self.wh_weight, self.off_weight = wh_weight, off_weight

    def __call__(self, out, targets):
        hm = focal_loss(out["hm"], targets["hm"])
        wh = reg_l1_loss(out["wh"], targets["wh"], targets["mask"])
        off = reg_l1_loss(out["reg"], targets["reg"], targets["mask"])
        total = hm + self.wh_weight * wh + self.off_weight * off
        return total, {"hm": hm.item(), "wh": wh.item(), "off": off.item()}
