import torch
import torch.nn.functional as F

from models import build_model
from utils import make_batch, AverageMeter

CFG = {"model": {"name": "density_counter", "kwargs": {"width": 16}}, "lr": 1e-3, "steps": 6}


def main():
    torch.manual_seed(0)
    model = build_model(CFG["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    meter = AverageMeter()
    for step in range(CFG["steps"]):
        imgs, counts = make_batch()
        pred = model(imgs)
        loss = F.mse_loss(pred, counts)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        meter.update(loss.item(), imgs.size(0))
        print(f"step {step} mae-ish {meter.avg:.3f}")


if __name__ == "__main__":
    main()
