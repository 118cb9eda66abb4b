import torch
import torch.nn.functional as F

from data import synthetic_loader
from models import build_model
from utils import accuracy, prepare_for_finetune

torch.manual_seed(0)

# weights from the source task (10 classes)
pretrained = build_model(num_classes=10).state_dict()

model = build_model(num_classes=10)
model = prepare_for_finetune(model, num_classes=3, state_dict=pretrained)

loader = synthetic_loader(num_classes=3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

for epoch in range(3):
    model.train()
    for x, y in loader:
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f} acc {accuracy(logits, y):.3f}")
