import torch
import torch.nn as nn


class CenterLoss(nn.Module):
    """Center loss (Wen et al., ECCV 2016).

    Keeps one learnable center per class and penalises the distance of each
    feature to the center of its class.
    """

    def __init__(self, num_classes, feat_dim):
        super().__init__()
        self.num_classes = num_classes
        self.feat_dim = feat_dim
        self.register_buffer("centers", torch.randn(num_classes, feat_dim))

    def forward(self, features, labels):
        batch_centers = self.centers.index_select(0, labels)
        return 0.5 * (features - batch_centers).pow(2).sum(dim=1).mean()
