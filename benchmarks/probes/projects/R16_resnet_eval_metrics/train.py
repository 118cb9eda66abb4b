import torch

from data import cifar_like
from engine import evaluate, train_one_epoch
from models import resnet_tiny

torch.manual_seed(0)

train_loader = cifar_like(96)
val_loader = cifar_like(32, seed=1, shuffle=False)
model = resnet_tiny(num_classes=10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=3 * len(train_loader))

for epoch in range(3):
    loss, acc = train_one_epoch(model, train_loader, optimizer, scheduler)
    val1, val5 = evaluate(model, val_loader)
    print(f"epoch {epoch} train_loss {loss:.4f} train_acc {acc:.1f} val@1 {val1:.1f} val@5 {val5:.1f}")
