"""Multi-task dense prediction (segmentation + depth) with a shared conv
encoder. Each task loss is back-propagated separately so that the gradient
norm each task induces on the shared encoder can be logged (GradNorm-style
diagnostics); gradients accumulate and a single optimizer step follows."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

TASK_WEIGHTS = {"seg": 1.0, "depth": 0.5}


class SharedEncoder(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, c, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(c, c, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return self.net(x)


class MultiTaskNet(nn.Module):
    def __init__(self, num_classes=4, c=16):
        super().__init__()
        self.encoder = SharedEncoder(c)
        self.heads = nn.ModuleDict({"seg": nn.Conv2d(c, num_classes, 1), "depth": nn.Conv2d(c, 1, 1)})

    def forward(self, x):
        h = self.encoder(x)
        return {name: head(h) for name, head in self.heads.items()}


def task_losses(out, batch):
    return {"seg": F.cross_entropy(out["seg"], batch["seg"]),
            "depth": F.l1_loss(out["depth"].squeeze(1), batch["depth"])}


def shared_grad_norm(model):
    g = [p.grad.detach().flatten() for p in model.encoder.parameters() if p.grad is not None]
    return torch.cat(g).norm().item() if g else 0.0


model = MultiTaskNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
grad_log = {k: [] for k in TASK_WEIGHTS}

for step in range(5):
    batch = {"img": torch.randn(4, 3, 12, 12), "seg": torch.randint(0, 4, (4, 12, 12)),
             "depth": torch.rand(4, 12, 12)}
    out = model(batch["img"])
    losses = task_losses(out, batch)
    optimizer.zero_grad()
    prev = 0.0
    for name, loss in losses.items():
        (TASK_WEIGHTS[name] * loss).backward()
        norm = shared_grad_norm(model)
        grad_log[name].append(norm - prev)
        prev = norm
    optimizer.step()
