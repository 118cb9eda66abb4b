import torch

from data import SyntheticBoxes
from losses import DetectionLoss
from models import TinyDetector

torch.manual_seed(0)

dataset = SyntheticBoxes(n=96)
model = TinyDetector(num_classes=4)
criterion = DetectionLoss()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)

for epoch in range(4):
    model.train()
    for step, (images, targets) in enumerate(dataset.batches(16)):
        outputs = model(images)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    parts = " ".join(f"{k}={v:.3f}" for k, v in criterion.last.items())
    print(f"epoch {epoch} loss={loss.item():.3f} {parts}")
