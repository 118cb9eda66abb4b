# Adapted from the transfer-learning tutorial's train_model() for a tabular classifier.
# Crashes on the first training batch with "does not require grad and does not have a grad_fn".
import copy
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def train_model(model, dataloaders, criterion, optimizer, num_epochs=3):
    best_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0
    for epoch in range(num_epochs):
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()
            else:
                model.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, labels in dataloaders[phase]:
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "training"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels).item()
            n = len(dataloaders[phase].dataset)
            epoch_acc = running_corrects / n
            print(f"{epoch} {phase} loss {running_loss / n:.4f} acc {epoch_acc:.3f}")
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_wts = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_wts)
    return model


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(96, 12)
    y = (x[:, 0] + x[:, 1] > 0).long()
    dataloaders = {
        "train": DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True),
        "val": DataLoader(TensorDataset(x[64:], y[64:]), batch_size=16),
    }
    model = nn.Sequential(nn.Linear(12, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model = train_model(model, dataloaders, nn.CrossEntropyLoss(), optimizer)
