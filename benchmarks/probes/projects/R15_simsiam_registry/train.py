import torch

from augment import random_view
from losses import build_loss
from models import SimSiam

torch.manual_seed(0)

images = torch.randn(96, 3, 16, 16)
model = SimSiam()
criterion = build_loss("simsiam")
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(3):
    perm = torch.randperm(len(images))
    for i in range(0, len(images), 16):
        x = images[perm[i:i + 16]]
        p1, p2, z1, z2 = model(random_view(x), random_view(x))
        loss = criterion(p1, p2, z1, z2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        std = torch.nn.functional.normalize(z1, dim=1).std(dim=0).mean().item()
    print(f"epoch {epoch} loss {loss.item():.4f} z-std {std:.4f}")
