import torch
import torch.nn.functional as F

from config import ProbeConfig
from models import build_model
from optim import build_optimizer
from utils import count_trainable, top1

cfg = ProbeConfig()
torch.manual_seed(0)

x = torch.randn(96, 3, 16, 16)
y = torch.randint(0, cfg.num_classes, (96,))
x = x + y.view(-1, 1, 1, 1).float() * 0.3

model = build_model(cfg)
optimizer = build_optimizer(model, cfg)
print("trainable params:", count_trainable(model))

for epoch in range(cfg.epochs):
    model.train()
    perm = torch.randperm(len(x))
    for i in range(0, len(x), cfg.batch_size):
        idx = perm[i:i + cfg.batch_size]
        logits = model(x[idx])
        loss = F.cross_entropy(logits, y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f} acc {top1(logits, y[idx]):.3f}")
