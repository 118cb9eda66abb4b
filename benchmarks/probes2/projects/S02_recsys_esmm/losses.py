import torch
import torch.nn.functional as F

from metrics import weighted_logloss


class ESMMLoss:
    """CTR loss on all impressions + CTCVR loss on all impressions.

    CTCVR positives are rare, so they are up-weighted by `pos_weight`.
    """

    def __init__(self, ctcvr_weight=1.0, pos_weight=5.0):
        self.ctcvr_weight = ctcvr_weight
        self.pos_weight = pos_weight

    def __call__(self, out, click, conversion):
        ctr_loss = F.binary_cross_entropy(out["p_ctr"], click)
        ctcvr_label = click * conversion
        w = 1.0 + (self.pos_weight - 1.0) * ctcvr_label
        ctcvr_loss = torch.tensor(weighted_logloss(ctcvr_label.cpu().numpy(), out["p_ctcvr"].detach().cpu().numpy(), w.cpu().numpy()))
        loss = ctr_loss + self.ctcvr_weight * ctcvr_loss
        return loss, {"ctr": ctr_loss.item(), "ctcvr": ctcvr_loss.item()}
