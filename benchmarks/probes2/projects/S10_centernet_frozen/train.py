"""Train CenterNet heads on a frozen 'pretrained' backbone with synthetic boxes."""
import torch

from losses import CenterNetLoss
from models import build_detector
from utils import build_optimizer, decode, synthetic_scene

CFG = dict(num_classes=3, width=16, head_ch=32, freeze_backbone=True,
           lr=2e-3, iters=8, batch=4, size=32, stride=4)


def train_one_epoch(model, criterion, optimizer, gen, cfg):
    model.train()
    for it in range(cfg["iters"]):
        images, targets = synthetic_scene(cfg["batch"], cfg["num_classes"], cfg["size"], cfg["stride"], gen)
        out = model(images)
        loss, logs = criterion(out, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(it, round(loss.item(), 4), logs)
    return out


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = build_detector(CFG)
    optimizer = build_optimizer(model, CFG["lr"])
    out = train_one_epoch(model, CenterNetLoss(), optimizer, gen, CFG)
    print(decode(out)[0])


if __name__ == "__main__":
    main()
