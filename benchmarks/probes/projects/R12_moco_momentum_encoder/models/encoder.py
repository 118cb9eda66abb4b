import torch.nn as nn


class ConvEncoder(nn.Module):
    def __init__(self, width=16, out_dim=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width * 2),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.fc = nn.Sequential(nn.Linear(width * 2, width * 2), nn.ReLU(inplace=True), nn.Linear(width * 2, out_dim))

    def forward(self, x):
        return self.fc(self.features(x))
