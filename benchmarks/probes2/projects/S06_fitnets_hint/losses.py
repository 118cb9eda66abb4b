import torch.nn as nn
import torch.nn.functional as F


class HintRegressor(nn.Module):
    """Maps the student's guided layer to the teacher's hint layer width (conv regressor)."""

    def __init__(self, s_channels, t_channels):
        super().__init__()
        self.conv = nn.Conv2d(s_channels, t_channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(t_channels)

    def forward(self, x):
        return self.bn(self.conv(x))


def hint_loss(regressed, teacher_feat):
    return 0.5 * F.mse_loss(regressed, teacher_feat)


def kd_loss(student_logits, teacher_logits, target, T=4.0, alpha=0.9):
    soft = F.kl_div(F.log_softmax(student_logits / T, 1), F.softmax(teacher_logits / T, 1), reduction="batchmean")
    return alpha * T * T * soft + (1 - alpha) * F.cross_entropy(student_logits, target)
