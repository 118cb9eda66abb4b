import torch
import torch.nn as nn
import torch.nn.functional as F


class FeatureExtractorMixin:
    def extract_features(self, x):
        with torch.no_grad():
            feats = self.backbone(x)
        return feats.flatten(1)


def make_backbone():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
    )


class LinearProbe(FeatureExtractorMixin, nn.Module):
    def __init__(self, backbone, feat_dim, n_classes):
        super().__init__()
        self.backbone = backbone
        for p in self.backbone.parameters():
            p.requires_grad = False
        self.head = nn.Linear(feat_dim, n_classes)

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.extract_features(x))


torch.manual_seed(0)
backbone = make_backbone()
# backbone.load_state_dict(torch.load("simclr_backbone.pt"))
model = LinearProbe(backbone, feat_dim=16, n_classes=5)
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-2)

images = torch.randn(40, 3, 16, 16)
labels = torch.randint(0, 5, (40,))

for epoch in range(4):
    model.train()
    for i in range(0, 40, 10):
        logits = model(images[i:i + 10])
        loss = F.cross_entropy(logits, labels[i:i + 10])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(images).argmax(1) == labels).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.3f} acc {acc:.3f}")
