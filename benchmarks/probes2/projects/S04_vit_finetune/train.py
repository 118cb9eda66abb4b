"""Fine-tune a 'pretrained' micro ViT on a 5-class synthetic task."""
import torch
import torch.nn.functional as F

from finetune import setup_finetune
from models import create_model

CFG = {
    "model": "vit_micro_patch4",
    "num_classes": 5,
    "lr": 1e-3,
    "weight_decay": 0.05,
    "layer_decay": 0.75,
    "warmup_steps": 2,
    "steps": 10,
    "batch_size": 16,
    "label_smoothing": 0.1,
}


def synthetic_batch(n, num_classes, gen):
    y = torch.randint(0, num_classes, (n,), generator=gen)
    x = torch.randn(n, 3, 16, 16, generator=gen) * 0.5
    x[torch.arange(n), y % 3, :, :] += (y.float() / num_classes).view(-1, 1, 1)
    return x, y


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = create_model(CFG["model"], pretrained=True)
    model, optimizer, scheduler = setup_finetune(model, CFG)
    model.train()
    for step in range(CFG["steps"]):
        x, y = synthetic_batch(CFG["batch_size"], CFG["num_classes"], gen)
        loss = F.cross_entropy(model(x), y, label_smoothing=CFG["label_smoothing"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        print(step, f"{loss.item():.4f}", scheduler.get_last_lr()[0])


if __name__ == "__main__":
    main()
