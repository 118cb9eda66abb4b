# Fine-tuning a small conv net with batch size 2: BatchNorm layers are frozen (running
# stats and affine params) and everything else is trained. train() is overridden so the
# BN layers stay in eval mode.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1, stride=2), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.fc(self.features(x))

    def freeze_bn(self):
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
                for p in m.parameters():
                    p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        if mode:
            self.freeze_bn()
        return self


if __name__ == "__main__":
    torch.manual_seed(0)
    model = ConvNet()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    for step in range(6):
        x = torch.randn(2, 3, 12, 12)
        y = torch.randint(0, 3, (2,))
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        print(step, loss.item())
