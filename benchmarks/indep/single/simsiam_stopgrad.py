# SimSiam (Chen & He 2021): negative cosine similarity with stop-gradient.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SimSiam(nn.Module):
    def __init__(self, in_dim=32, dim=64, pred_dim=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(in_dim, dim), nn.BatchNorm1d(dim), nn.ReLU(inplace=True),
            nn.Linear(dim, dim), nn.BatchNorm1d(dim),
        )
        self.predictor = nn.Sequential(
            nn.Linear(dim, pred_dim), nn.BatchNorm1d(pred_dim), nn.ReLU(inplace=True),
            nn.Linear(pred_dim, dim),
        )

    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        return p1, p2, z1.detach(), z2.detach()


def augment(x):
    return x * (1 + 0.1 * torch.randn_like(x)) + 0.05 * torch.randn_like(x)


model = SimSiam()
criterion = nn.CosineSimilarity(dim=1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
data = torch.randn(64, 32)

for epoch in range(3):
    for x in data.split(16):
        p1, p2, z1, z2 = model(augment(x), augment(x))
        loss = -(criterion(p1, z2).mean() + criterion(p2, z1).mean()) * 0.5
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        std = F.normalize(model.encoder(data), dim=1).std(0).mean().item()
    print(epoch, loss.item(), "collapse check std:", std)
