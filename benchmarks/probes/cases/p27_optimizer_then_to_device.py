import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 12, 3)
        self.fc = nn.Linear(12 * 2 * 2, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)

model = Net()
print("default head params:", sum(p.numel() for p in model.fc.parameters()))

model = Net(num_classes=3)
model.fc = nn.Linear(model.fc.in_features, 3)
nn.init.zeros_(model.fc.bias)

optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
model.to(device)
criterion = nn.CrossEntropyLoss().to(device)

images = torch.randn(40, 1, 14, 14)
labels = torch.randint(0, 3, (40,))

for epoch in range(4):
    model.train()
    running_loss = 0.0
    for i in range(0, 40, 10):
        inputs, targets = images[i:i + 10].to(device), labels[i:i + 10].to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    scheduler.step()
    print(f"[{epoch + 1}] loss: {running_loss / 4:.3f} lr {scheduler.get_last_lr()[0]:.4f}")
