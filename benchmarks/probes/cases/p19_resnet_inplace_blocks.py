import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        out = self.relu(out)
        return out


class MiniResNet(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.blocks = nn.Sequential(BasicBlock(8), BasicBlock(8))
        self.fc = nn.Linear(8, n_classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)), inplace=True)
        x = self.blocks(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        logits = self.fc(x)
        logits[:, 0] = logits[:, 0] - 1.0
        return logits


torch.manual_seed(0)
model = MiniResNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
x_all = torch.randn(32, 3, 12, 12)
y_all = torch.randint(0, 4, (32,))

for epoch in range(3):
    model.train()
    for i in range(0, 32, 8):
        x, y = x_all[i:i + 8], y_all[i:i + 8]
        target = torch.zeros(x.size(0), 4).scatter_(1, y[:, None], 1.0)
        target.mul_(0.9).add_(0.1 / 4)
        logits = model(x)
        loss = torch.sum(-target * F.log_softmax(logits, dim=1), dim=1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
