import torch
import torch.nn.functional as F

from model import QuantMLP
from metrics import accuracy


def main():
    torch.manual_seed(0)
    model = QuantMLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    w_true = torch.randn(16, 3)
    for epoch in range(10):
        x = torch.randn(64, 16)
        y = (x @ w_true).argmax(dim=1)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if epoch % 3 == 0:
            print(f"epoch {epoch} loss {loss.item():.4f} acc {accuracy(model, x, y):.3f}")


if __name__ == "__main__":
    main()
