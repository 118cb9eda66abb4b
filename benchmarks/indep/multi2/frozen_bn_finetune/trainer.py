import torch
import torch.nn as nn
import torch.nn.functional as F


def freeze_bn(module):
    """Put every BatchNorm in eval mode and stop its affine params from training."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


class HeadOnlyTrainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        for p in self.model.backbone.parameters():
            p.requires_grad_(False)
        self.optimizer = torch.optim.SGD(self.model.head.parameters(), lr=lr, momentum=0.9)

    def set_train_mode(self):
        self.model.train()
        freeze_bn(self.model.backbone)

    def train_step(self, images, heatmaps):
        self.set_train_mode()
        pred = self.model(images)
        loss = F.mse_loss(pred, heatmaps)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()
