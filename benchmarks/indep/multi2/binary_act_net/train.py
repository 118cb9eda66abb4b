import torch
import torch.nn.functional as F

from models import build_model

CONFIG = {"model": {"type": "binarynet", "in_dim": 64, "hidden": 64, "n_classes": 10, "depth": 2},
          "lr": 1e-2, "epochs": 3}


def main():
    torch.manual_seed(0)
    model = build_model(CONFIG["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])
    images = torch.rand(96, 1, 8, 8)
    labels = torch.randint(0, 10, (96,))
    for epoch in range(CONFIG["epochs"]):
        model.train()
        for i in range(0, 96, 32):
            out = model(images[i:i + 32])
            loss = F.cross_entropy(out, labels[i:i + 32])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
