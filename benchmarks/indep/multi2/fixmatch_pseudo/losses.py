import torch
import torch.nn.functional as F


class FixMatchLoss:
    def __init__(self, threshold=0.5, lambda_u=1.0, temperature=1.0):
        self.threshold = threshold
        self.lambda_u = lambda_u
        self.T = temperature
        self.stats = {}

    def __call__(self, logits_x, targets_x, logits_u_w, logits_u_s):
        loss_x = F.cross_entropy(logits_x, targets_x)
        probs = torch.softmax(logits_u_w.detach() / self.T, dim=-1)
        max_probs, pseudo = probs.max(dim=-1)
        mask = max_probs.ge(self.threshold).float()
        loss_u = (F.cross_entropy(logits_u_s, pseudo, reduction="none") * mask).mean()
        self.stats = {"loss_x": loss_x.item(), "loss_u": loss_u.item(), "mask": mask.mean().item()}
        return loss_x + self.lambda_u * loss_u
