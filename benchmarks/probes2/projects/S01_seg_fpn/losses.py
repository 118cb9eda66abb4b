import torch
import torch.nn.functional as F


def cross_entropy(logits, target, ignore_index=255):
    return F.cross_entropy(logits, target, ignore_index=ignore_index)


def dice_loss(logits, target, eps=1.0, ignore_index=255):
    num_classes = logits.shape[1]
    valid = (target != ignore_index).unsqueeze(1).float()
    probs = logits.softmax(dim=1) * valid
    onehot = F.one_hot(target.clamp(0, num_classes - 1), num_classes).permute(0, 3, 1, 2).float() * valid
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    denom = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    return 1.0 - ((2 * inter + eps) / (denom + eps)).mean()


LOSSES = {"ce": cross_entropy, "dice": dice_loss}


class CombinedLoss:
    def __init__(self, weights):
        self.terms = [(LOSSES[name], w) for name, w in weights.items()]

    def __call__(self, logits, target):
        return sum(w * fn(logits, target) for fn, w in self.terms)


@torch.no_grad()
def mean_iou(logits, target, num_classes):
    pred = logits.argmax(dim=1)
    ious = []
    for c in range(num_classes):
        inter = ((pred == c) & (target == c)).sum().item()
        union = ((pred == c) | (target == c)).sum().item()
        if union > 0:
            ious.append(inter / union)
    return sum(ious) / max(len(ious), 1)
