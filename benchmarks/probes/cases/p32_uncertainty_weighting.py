import torch
import torch.nn as nn
import torch.nn.functional as F


class UncertaintyWeighting(nn.Module):
    """Kendall et al. 2018: learn one log-variance per task."""

    def __init__(self, n_tasks):
        super().__init__()
        self.log_vars = nn.Parameter(torch.zeros(n_tasks))

    def forward(self, losses):
        losses = torch.tensor(losses)
        precision = torch.exp(-self.log_vars)
        return (precision * losses + self.log_vars).sum()


class DepthSegNet(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.seg = nn.Conv2d(8, n_classes, 1)
        self.depth = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        f = self.backbone(x)
        return self.seg(f), self.depth(f).squeeze(1)


torch.manual_seed(0)
net = DepthSegNet()
weighting = UncertaintyWeighting(n_tasks=2)
optimizer = torch.optim.Adam(list(net.parameters()) + list(weighting.parameters()), lr=1e-3)

for it in range(8):
    img = torch.randn(4, 3, 12, 12)
    seg_gt = torch.randint(0, 4, (4, 12, 12))
    depth_gt = torch.rand(4, 12, 12)
    seg_pred, depth_pred = net(img)
    seg_loss = F.cross_entropy(seg_pred, seg_gt)
    depth_loss = F.l1_loss(depth_pred, depth_gt)
    total = weighting([seg_loss, depth_loss])
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    print(it, f"seg {seg_loss.item():.3f} depth {depth_loss.item():.3f} total {total.item():.3f}",
          weighting.log_vars.data.tolist())
