import math

import torch
import torch.nn.functional as F


def build_optimizer(model, lr, weight_decay=1e-4):
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def draw_gaussian(hm, cx, cy, radius):
    H, W = hm.shape
    ys, xs = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    sigma = (2 * radius + 1) / 6
    g = torch.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma * sigma))
    torch.maximum(hm, g, out=hm)


def synthetic_scene(batch, num_classes, size, stride, gen):
    images = torch.randn(batch, 3, size, size, generator=gen) * 0.1
    fh = size // stride
    hm = torch.zeros(batch, num_classes, fh, fh)
    wh, reg = torch.zeros(batch, 2, fh, fh), torch.zeros(batch, 2, fh, fh)
    mask = torch.zeros(batch, fh, fh)
    for b in range(batch):
        cls = int(torch.randint(num_classes, (1,), generator=gen))
        w, h = (torch.randint(6, 14, (2,), generator=gen)).tolist()
        x0, y0 = (torch.randint(0, size - 14, (2,), generator=gen)).tolist()
        images[b, cls % 3, y0:y0 + h, x0:x0 + w] += 1.0
        cx, cy = (x0 + w / 2) / stride, (y0 + h / 2) / stride
        ix, iy = int(cx), int(cy)
        draw_gaussian(hm[b, cls], ix, iy, radius=max(1, int(math.sqrt(w * h) / stride / 2)))
        hm[b, cls, iy, ix] = 1.0
        wh[b, :, iy, ix] = torch.tensor([w / stride, h / stride])
        reg[b, :, iy, ix] = torch.tensor([cx - ix, cy - iy])
        mask[b, iy, ix] = 1.0
    return images, {"hm": hm, "wh": wh, "reg": reg, "mask": mask}


@torch.no_grad()
def decode(out, k=5):
    hm = out["hm"].sigmoid()
    keep = (F.max_pool2d(hm, 3, 1, 1) == hm).float()
    B, C, H, W = hm.shape
    scores, inds = (hm * keep).view(B, -1).topk(k)
    classes = (inds // (H * W)).tolist()
    return [list(zip(c, s)) for c, s in zip(classes, scores.tolist())]
