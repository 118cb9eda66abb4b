import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionGate(nn.Module):
    """Additive attention gate from Attention U-Net (Oktay et al. 2018)."""

    def __init__(self, g_ch, x_ch, inter_ch, min_att=0.05):
        super().__init__()
        self.W_g = nn.Conv2d(g_ch, inter_ch, 1)
        self.W_x = nn.Conv2d(x_ch, inter_ch, 1)
        self.psi = nn.Conv2d(inter_ch, 1, 1)
        self.min_att = min_att

    def forward(self, g, x):
        g1 = self.W_g(g)
        x1 = self.W_x(x)
        att = torch.sigmoid(self.psi(F.relu(g1 + x1)))
        # keep a floor on the attention so skip features never vanish completely
        att.clamp_(min=self.min_att)
        return x * att
