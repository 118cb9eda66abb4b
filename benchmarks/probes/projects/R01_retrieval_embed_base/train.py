import torch
import torch.nn.functional as F

from data import make_loaders
from models import build_model
from utils import AverageMeter, recall_at_k

torch.manual_seed(0)

NUM_CLASSES = 5
EPOCHS = 3

train_loader, (gallery_x, gallery_y) = make_loaders(num_classes=NUM_CLASSES)
model = build_model(NUM_CLASSES)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(EPOCHS):
    model.train()
    meter = AverageMeter()
    for x, y in train_loader:
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        meter.update(loss.item(), x.size(0))

    index = model.build_index(gallery_x)
    r1 = recall_at_k(index, gallery_y, k=1)
    print(f"epoch {epoch}: loss {meter.avg:.4f} R@1 {r1:.3f}")
