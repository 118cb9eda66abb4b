import torch

from models import TinyUNet
from losses import DiceLoss


def main():
    torch.manual_seed(0)
    model = TinyUNet(in_ch=1, base=8)
    criterion = DiceLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    images = torch.rand(16, 1, 16, 16)
    masks = (torch.rand(16, 1, 16, 16) > 0.7).float()
    model.train()
    for epoch in range(3):
        for i in range(0, 16, 4):
            x, y = images[i:i + 4], masks[i:i + 4]
            logits = model(x)
            loss = criterion(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} dice loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
