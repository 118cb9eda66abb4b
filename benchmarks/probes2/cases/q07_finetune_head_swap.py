"""Transfer learning: a 'pretrained' CNN classifier is fine-tuned on a new
dataset with a different number of classes; discriminative learning rates
for backbone and head."""
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


@dataclass
class FinetuneConfig:
    pretrained_classes: int = 10
    new_classes: int = 3
    backbone_lr: float = 1e-4
    head_lr: float = 1e-2
    steps: int = 6
    milestones: list = field(default_factory=lambda: [4])


class SmallResNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                                   nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        h = self.stem(x)
        h = F.relu(h + self.block(h))
        return self.fc(self.pool(h).flatten(1))


def load_pretrained(cfg):
    model = SmallResNet(cfg.pretrained_classes)
    # stand-in for torch.load(...) of an ImageNet-style checkpoint
    return model


def build_optimizer(model, cfg):
    head = list(model.fc.parameters())
    head_ids = {id(p) for p in head}
    backbone = [p for p in model.parameters() if id(p) not in head_ids]
    return torch.optim.SGD([{"params": backbone, "lr": cfg.backbone_lr},
                            {"params": head, "lr": cfg.head_lr}], momentum=0.9)


def adapt_to_dataset(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


cfg = FinetuneConfig()
model = load_pretrained(cfg)
optimizer = build_optimizer(model, cfg)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=cfg.milestones, gamma=0.1)
model = adapt_to_dataset(model, cfg.new_classes)

images = torch.randn(16, 3, 16, 16)
labels = torch.randint(0, cfg.new_classes, (16,))
for step in range(cfg.steps):
    model.train()
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()

model.eval()
with torch.no_grad():
    val_acc = (model(images).argmax(1) == labels).float().mean().item()
