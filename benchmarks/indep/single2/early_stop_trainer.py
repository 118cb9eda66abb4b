# Trainer with early stopping on validation loss, ReduceLROnPlateau and best-checkpoint
# restore. Everything logged as Python floats.
import copy
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class EarlyStoppingTrainer:
    def __init__(self, model, lr=1e-2, patience=2, max_epochs=10):
        self.model = model
        self.criterion = nn.MSELoss()
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, factor=0.5, patience=1)
        self.patience = patience
        self.max_epochs = max_epochs
        self.best_loss = float("inf")
        self.best_state = None
        self.bad_epochs = 0

    def _run_epoch(self, loader, train):
        self.model.train(train)
        total, n = 0.0, 0
        for x, y in loader:
            with torch.set_grad_enabled(train):
                loss = self.criterion(self.model(x), y)
            if train:
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            total += loss.item() * x.size(0)
            n += x.size(0)
        return total / n

    def fit(self, train_loader, val_loader):
        for epoch in range(self.max_epochs):
            train_loss = self._run_epoch(train_loader, train=True)
            val_loss = self._run_epoch(val_loader, train=False)
            self.scheduler.step(val_loss)
            print(f"epoch {epoch} train {train_loss:.4f} val {val_loss:.4f}")
            if val_loss < self.best_loss - 1e-4:
                self.best_loss = val_loss
                self.best_state = copy.deepcopy(self.model.state_dict())
                self.bad_epochs = 0
            else:
                self.bad_epochs += 1
                if self.bad_epochs >= self.patience:
                    print("early stopping")
                    break
        self.model.load_state_dict(self.best_state)
        return self.best_loss


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(80, 6)
    y = (x ** 2).sum(1, keepdim=True) + 0.1 * torch.randn(80, 1)
    train_loader = DataLoader(TensorDataset(x[:60], y[:60]), batch_size=15, shuffle=True)
    val_loader = DataLoader(TensorDataset(x[60:], y[60:]), batch_size=20)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
    EarlyStoppingTrainer(model).fit(train_loader, val_loader)
