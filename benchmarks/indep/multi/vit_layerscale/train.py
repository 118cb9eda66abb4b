import torch
import torch.nn as nn

from models import TinyViT


def param_groups(model, weight_decay=0.05):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.ndim <= 1 or name.endswith("cls_token") or name.endswith("pos_embed"):
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def main():
    torch.manual_seed(0)
    model = TinyViT(num_classes=4)
    optimizer = torch.optim.AdamW(param_groups(model), lr=1e-3)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    for step in range(4):
        x = torch.randn(8, 3, 16, 16)
        y = torch.randint(0, 4, (8,))
        loss = criterion(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
