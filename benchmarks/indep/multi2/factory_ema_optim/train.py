import torch
import torch.nn.functional as F

from builder import build

CFG = {"arch": "resmlp", "arch_kwargs": {"hidden": 32}, "optim": "adamw", "lr": 1e-3, "wd": 0.01}


def main():
    torch.manual_seed(0)
    model, optimizer, ema = build(CFG)
    x = torch.randn(128, 20)
    y = torch.randint(0, 4, (128,))
    for step in range(8):
        idx = torch.randint(0, 128, (32,))
        loss = F.cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema.update(model)
        print(f"step {step} loss {loss.item():.4f}")
    with torch.no_grad():
        acc = (ema.module(x).argmax(-1) == y).float().mean()
    print(f"ema acc {acc:.3f}")


if __name__ == "__main__":
    main()
