import torch
import torch.nn.functional as F


def train_one_epoch(model, optimizer, batches):
    model.train()
    total = 0.0
    for tokens, labels in batches:
        loss = F.cross_entropy(model(tokens), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(batches)


@torch.no_grad()
def evaluate(model, batches):
    model.eval()
    correct = n = 0
    for tokens, labels in batches:
        pred = model(tokens).argmax(-1)
        correct += (pred == labels).sum().item()
        n += labels.numel()
    return correct / n
