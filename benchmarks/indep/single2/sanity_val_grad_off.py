# Trainer with a sanity-check validation pass before training (like Lightning's
# num_sanity_val_steps). After adding it, training fails with
# "element 0 of tensors does not require grad".
import torch
import torch.nn as nn
import torch.nn.functional as F


class Trainer:
    def __init__(self, model, optimizer, train_data, val_data, epochs=3):
        self.model = model
        self.optimizer = optimizer
        self.train_data = train_data
        self.val_data = val_data
        self.epochs = epochs
        self.history = []

    def validate(self):
        self.model.eval()
        torch.set_grad_enabled(False)
        correct, total = 0, 0
        for x, y in self.val_data:
            pred = self.model(x).argmax(dim=1)
            correct += (pred == y).sum().item()
            total += y.numel()
        self.model.train()
        return correct / total

    def train_epoch(self):
        self.model.train()
        losses = []
        for x, y in self.train_data:
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return sum(losses) / len(losses)

    def fit(self):
        print("sanity check acc:", self.validate())
        for epoch in range(self.epochs):
            train_loss = self.train_epoch()
            val_acc = self.validate()
            self.history.append((train_loss, val_acc))
            print(epoch, train_loss, val_acc)


if __name__ == "__main__":
    torch.manual_seed(0)
    def batches(n):
        return [(torch.randn(8, 20), torch.randint(0, 4, (8,))) for _ in range(n)]
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 4))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    Trainer(model, opt, batches(6), batches(2)).fit()
