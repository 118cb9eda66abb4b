"""Single-stage detector head on pooled features: classification branch and a
box-regression branch trained with a 1 - IoU loss (IoU computed by a helper
borrowed from the evaluation code)."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)

NUM_CLASSES = 5
FEAT_DIM = 48


def box_iou_np(a, b):
    """IoU between matching rows of two (N, 4) xyxy arrays (from eval utils)."""
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 2], b[:, 2])
    y2 = np.minimum(a[:, 3], b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a + area_b - inter + 1e-7)


class DetectionHead(nn.Module):
    def __init__(self, feat_dim, num_classes):
        super().__init__()
        self.shared = nn.Sequential(nn.Linear(feat_dim, 64), nn.ReLU())
        self.cls = nn.Linear(64, num_classes)
        self.box = nn.Linear(64, 4)

    def forward(self, feats):
        h = self.shared(feats)
        deltas = self.box(h)
        # decode (cx, cy, w, h) -> xyxy, boxes in [0, 1]
        cxcy = torch.sigmoid(deltas[:, :2])
        wh = torch.sigmoid(deltas[:, 2:]) * 0.5 + 0.05
        boxes = torch.cat([cxcy - wh / 2, cxcy + wh / 2], dim=1)
        return self.cls(h), boxes


class DetLoss:
    def __init__(self, box_weight=2.0):
        self.box_weight = box_weight

    def __call__(self, logits, boxes, gt_labels, gt_boxes):
        loss_cls = F.cross_entropy(logits, gt_labels)
        iou = box_iou_np(boxes.detach().cpu().numpy(), gt_boxes.cpu().numpy())
        loss_box = torch.as_tensor(1.0 - iou, dtype=torch.float32).mean()
        return {"cls": loss_cls, "box": loss_box, "total": loss_cls + self.box_weight * loss_box}


def random_targets(n):
    c = torch.rand(n, 2) * 0.6 + 0.2
    wh = torch.rand(n, 2) * 0.3 + 0.1
    return torch.randint(0, NUM_CLASSES, (n,)), torch.cat([c - wh / 2, c + wh / 2], dim=1)


head = DetectionHead(FEAT_DIM, NUM_CLASSES)
criterion = DetLoss()
optimizer = torch.optim.SGD(head.parameters(), lr=0.05, momentum=0.9)

log = []
for it in range(10):
    feats = torch.randn(32, FEAT_DIM)
    labels, gt_boxes = random_targets(32)
    logits, boxes = head(feats)
    losses = criterion(logits, boxes, labels, gt_boxes)
    optimizer.zero_grad()
    losses["total"].backward()
    optimizer.step()
    log.append({k: v.item() for k, v in losses.items()})
