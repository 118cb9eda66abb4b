import torch

from models import BYOL
from losses import byol_loss
from augment import augment


def main():
    torch.manual_seed(0)
    model = BYOL()
    optimizer = torch.optim.Adam(model.online_parameters(), lr=3e-4)
    data = torch.randn(64, 32)
    for step in range(5):
        x = data[torch.randperm(64)[:16]]
        v1, v2 = augment(x), augment(x)
        p1, p2, z1, z2 = model(v1, v2)
        loss = byol_loss(p1, p2, z1, z2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.update_target()
        print(f"step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
