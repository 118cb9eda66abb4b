import torch
import torch.nn as nn
import torch.nn.functional as F


class CellDetector(nn.Module):
    """Predicts, for every cell of an 8x8 grid, whether an object is present."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
        )
        self.cls = nn.Conv2d(8, 1, 1)

    def forward(self, img):
        return self.cls(self.features(img)).flatten(1)


def count_objects(logits):
    presence = torch.round(torch.sigmoid(logits))
    return presence.sum(dim=1)


def synthetic_batch(n=16):
    grid = (torch.rand(n, 1, 8, 8) < 0.2).float()
    img = grid + 0.3 * torch.randn_like(grid)
    return img, grid.flatten(1).sum(1)


torch.manual_seed(0)
model = CellDetector()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for it in range(12):
    img, true_count = synthetic_batch()
    logits = model(img)
    pred_count = count_objects(logits)
    loss = F.mse_loss(pred_count, true_count)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 3 == 0:
        mae = (pred_count - true_count).abs().mean().item()
        print(f"it {it} loss {loss.item():.3f} count MAE {mae:.2f}")
