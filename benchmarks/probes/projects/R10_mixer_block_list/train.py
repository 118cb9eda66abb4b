import torch
import torch.nn as nn

from data import random_images
from models import MLPMixer
from optim import build_optimizer

torch.manual_seed(0)

x_train, y_train = random_images(96)
model = MLPMixer(depth=2)
optimizer = build_optimizer(model, lr=1e-3)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)

for epoch in range(3):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(perm), 16):
        idx = perm[i:i + 16]
        loss = criterion(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"epoch {epoch} loss {loss.item():.4f} params {n_params}")
