import torch
import torch.nn as nn

from model import SmallResNetish
from utils import freeze_backbone, count_trainable


def main():
    torch.manual_seed(0)
    model = SmallResNetish(num_classes=5)
    # pretend we loaded ImageNet weights here
    freeze_backbone(model)
    print("trainable params:", count_trainable(model))

    optimizer = torch.optim.SGD(model.head.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    model.train()
    for step in range(4):
        x = torch.randn(8, 3, 16, 16)
        y = torch.randint(0, 5, (8,))
        logits = model(x)
        loss = criterion(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss={loss.item():.4f}")


if __name__ == "__main__":
    main()
