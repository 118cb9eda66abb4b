# Fine-tuning a pretrained CNN on my 5-class dataset. Accuracy stays at chance.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SmallResNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = x + F.relu(self.bn2(self.conv2(x)))
        return self.fc(self.pool(x).flatten(1))


def build(num_classes, lr=0.01):
    model = SmallResNet()
    # model.load_state_dict(torch.load("pretrained.pth"))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model, optimizer


model, optimizer = build(5)
criterion = nn.CrossEntropyLoss()
x = torch.randn(20, 3, 12, 12)
y = torch.randint(0, 5, (20,))

for epoch in range(4):
    model.train()
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    print(epoch, loss.item(), acc)
