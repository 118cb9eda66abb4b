import torch

from config import CONFIG
from losses import build_loss
from models import UNet

torch.manual_seed(0)


def synthetic_batch(n, size=16, num_classes=3):
    img = torch.rand(n, 1, size, size)
    mask = (img[:, 0] * num_classes).long().clamp(max=num_classes - 1)
    return img + 0.05 * torch.randn_like(img), mask


model = UNet(**CONFIG["model"])
loss_cfg = dict(CONFIG["loss"])
criterion = build_loss(loss_cfg.pop("name"), num_classes=CONFIG["model"]["num_classes"], **loss_cfg)
optimizer = torch.optim.Adam(model.parameters(), lr=CONFIG["optim"]["lr"])

images, masks = synthetic_batch(48)
for epoch in range(CONFIG["epochs"]):
    for i in range(0, len(images), CONFIG["batch_size"]):
        x, y = images[i:i + CONFIG["batch_size"]], masks[i:i + CONFIG["batch_size"]]
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
