import torch
import torch.nn as nn
import torch.nn.functional as F


class DistillationLoss(nn.Module):
    """Hinton et al. 2015: alpha * T^2 * KL(soft_t || soft_s) + (1 - alpha) * CE."""

    def __init__(self, teacher, temperature=4.0, alpha=0.7):
        super().__init__()
        self.teacher = teacher.eval()
        for p in self.teacher.parameters():
            p.requires_grad = False
        self.T = temperature
        self.alpha = alpha

    def forward(self, inputs, student_logits, labels):
        with torch.no_grad():
            teacher_logits = self.teacher(inputs)
        soft_loss = F.kl_div(
            F.log_softmax(student_logits / self.T, dim=1),
            F.softmax(teacher_logits / self.T, dim=1),
            reduction="batchmean",
        ) * (self.T ** 2)
        hard_loss = F.cross_entropy(student_logits, labels)
        return self.alpha * soft_loss + (1.0 - self.alpha) * hard_loss


class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0.0, 0

    def update(self, value, n=1):
        self.sum += float(value) * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)
