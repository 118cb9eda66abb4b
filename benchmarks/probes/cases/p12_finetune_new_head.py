import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyResNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.layer1 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False),
                                    nn.BatchNorm2d(16), nn.ReLU())
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.layer1(self.stem(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build(cfg):
    model = TinyResNet()
    state = TinyResNet().state_dict()  # stands in for the downloaded checkpoint
    model.load_state_dict(state)
    backbone_params = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
    optimizer = torch.optim.SGD([
        {"params": backbone_params, "lr": cfg["lr"] * 0.1},
        {"params": model.fc.parameters()},
    ], lr=cfg["lr"], momentum=0.9)
    return model, optimizer


def adapt_to_dataset(model, num_classes):
    in_features = model.fc.in_features
    model.fc = nn.Linear(in_features, num_classes)
    return model


cfg = {"lr": 0.01, "num_classes": 4, "epochs": 3}
torch.manual_seed(0)
model, optimizer = build(cfg)
model = adapt_to_dataset(model, cfg["num_classes"])

images = torch.randn(32, 3, 16, 16)
targets = torch.randint(0, cfg["num_classes"], (32,))

for epoch in range(cfg["epochs"]):
    model.train()
    correct = 0
    for i in range(0, 32, 8):
        out = model(images[i:i + 8])
        loss = F.cross_entropy(out, targets[i:i + 8])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        correct += (out.argmax(1) == targets[i:i + 8]).sum().item()
    print(f"epoch {epoch} loss {loss.item():.3f} acc {correct / 32:.2f}")
