import torch
import torch.nn.functional as F

from models import build_moco
from optim import adjust_learning_rate, build_optimizer
from utils import momentum_update, two_crops

torch.manual_seed(0)

EPOCHS, BASE_LR, BATCH = 3, 0.03, 16
images = torch.randn(96, 3, 16, 16)

model = build_moco(dim=32, queue_size=64)
optimizer = build_optimizer(model, lr=BASE_LR)

for epoch in range(EPOCHS):
    lr = adjust_learning_rate(optimizer, epoch, BASE_LR, EPOCHS)
    perm = torch.randperm(len(images))
    for i in range(0, len(images), BATCH):
        x = images[perm[i:i + BATCH]]
        im_q, im_k = two_crops(x)
        logits, labels = model(im_q, im_k)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        momentum_update(model)
    print(f"epoch {epoch} lr {lr:.4f} loss {loss.item():.4f}")
