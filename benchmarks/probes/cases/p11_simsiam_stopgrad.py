import torch
import torch.nn as nn
import torch.nn.functional as F


class SimSiam(nn.Module):
    def __init__(self, in_dim=32, dim=64, pred_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(in_dim, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(inplace=True),
            nn.Linear(dim, dim, bias=False), nn.BatchNorm1d(dim, affine=False),
        )
        self.predictor = nn.Sequential(
            nn.Linear(dim, pred_dim, bias=False), nn.BatchNorm1d(pred_dim), nn.ReLU(inplace=True),
            nn.Linear(pred_dim, dim),
        )

    def forward(self, x1, x2):
        z1 = self.encoder(x1)
        z2 = self.encoder(x2)
        p1 = self.predictor(z1)
        p2 = self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()


def augment(x):
    mask = (torch.rand_like(x) > 0.2).float()
    return x * mask + 0.1 * torch.randn_like(x)


def negative_cosine(p, z):
    return -F.cosine_similarity(p, z, dim=-1).mean()


torch.manual_seed(0)
data = torch.randn(256, 32)
model = SimSiam()
init_lr = 0.05 * 64 / 256
optimizer = torch.optim.SGD(model.parameters(), lr=init_lr, momentum=0.9, weight_decay=1e-4)

for epoch in range(3):
    model.train()
    losses = []
    for i in range(0, 256, 64):
        x = data[i:i + 64]
        p1, p2, z1, z2 = model(augment(x), augment(x))
        loss = 0.5 * (negative_cosine(p1, z2) + negative_cosine(p2, z1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        z = F.normalize(model.encoder(data), dim=1)
        collapse = z.std(0).mean().item()
    print(f"epoch {epoch} loss {sum(losses) / len(losses):.4f} std {collapse:.4f}")
