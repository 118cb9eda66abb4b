# Object counting regressor: the network outputs a density map, the count is
# the rounded sum. Loss decreases?? no, it stays flat forever.
import torch
import torch.nn as nn

torch.manual_seed(0)


class DensityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
        )
        self.density = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        return torch.relu(self.density(self.features(x)))


net = DensityNet()
opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9)
images = torch.randn(16, 3, 16, 16)
gt_counts = torch.randint(0, 20, (16,)).float()

for step in range(5):
    dmap = net(images)
    pred_count = torch.round(dmap.sum(dim=(1, 2, 3)))
    loss = ((pred_count - gt_counts) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    mae = (pred_count - gt_counts).abs().mean().item()
    print(step, loss.item(), mae)
