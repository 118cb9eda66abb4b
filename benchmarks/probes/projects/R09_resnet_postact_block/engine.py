import torch
import torch.nn.functional as F


def train_one_epoch(model, loader, optimizer, scheduler=None):
    model.train()
    running = 0.0
    for images, targets in loader:
        loss = F.cross_entropy(model(images), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        running += loss.item()
    return running / len(loader)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for images, targets in loader:
        correct += (model(images).argmax(1) == targets).sum().item()
        total += targets.numel()
    return correct / total
