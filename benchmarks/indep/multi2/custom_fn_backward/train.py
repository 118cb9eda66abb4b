import torch
import torch.nn.functional as F

from layers import FusedMLP


def main():
    torch.manual_seed(0)
    model = FusedMLP(din=12, hidden=32, dout=1, depth=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(256, 12)
    y = x[:, :3].sum(dim=1, keepdim=True) ** 2
    for step in range(10):
        idx = torch.randint(0, 256, (64,))
        loss = F.mse_loss(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 3 == 0:
            print(f"step {step} mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
