import torch
import torch.nn.functional as F

from hooks import FeatureExtractor
from models import FPNHead, MiniResNet
from utils import mean_iou, random_masks

torch.manual_seed(0)
NUM_CLASSES = 3

backbone = MiniResNet(width=8)
head = FPNHead(backbone.channels, NUM_CLASSES)
extractor = FeatureExtractor(backbone, ["layer1", "layer2", "layer3"])

params = list(backbone.parameters()) + list(head.parameters())
optimizer = torch.optim.Adam(params, lr=1e-3)
images, masks = random_masks(64, 16, NUM_CLASSES)

for epoch in range(3):
    for i in range(0, len(images), 16):
        x, y = images[i:i + 16], masks[i:i + 16]
        feats = extractor(backbone, x)
        logits = head(feats)
        logits = F.interpolate(logits, size=y.shape[-2:], mode="bilinear", align_corners=False)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f} mIoU {mean_iou(logits, y, NUM_CLASSES):.3f}")
extractor.remove()
