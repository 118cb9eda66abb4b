# Dark Experience Replay (DER++) for class-incremental learning on toy tasks.
# The reservoir buffer stores inputs, labels and the network's logits at insertion time.
import random
import torch
import torch.nn as nn
import torch.nn.functional as F


class ReservoirBuffer:
    def __init__(self, capacity):
        self.capacity = capacity
        self.seen = 0
        self.x, self.y, self.logits = [], [], []

    def add(self, x, y, logits):
        for i in range(x.size(0)):
            if len(self.x) < self.capacity:
                self.x.append(x[i]); self.y.append(y[i]); self.logits.append(logits[i])
            else:
                j = random.randint(0, self.seen)
                if j < self.capacity:
                    self.x[j], self.y[j], self.logits[j] = x[i], y[i], logits[i]
            self.seen += 1

    def sample(self, n):
        idx = random.sample(range(len(self.x)), min(n, len(self.x)))
        return (torch.stack([self.x[i] for i in idx]), torch.stack([self.y[i] for i in idx]),
                torch.stack([self.logits[i] for i in idx]))

    def __len__(self):
        return len(self.x)


def train_task(model, optimizer, buffer, data, alpha=0.3, beta=0.5):
    model.train()
    for x, y in data:
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        if len(buffer) > 0:
            bx, _, blogits = buffer.sample(x.size(0))
            loss = loss + alpha * F.mse_loss(model(bx), blogits)
            bx2, by2, _ = buffer.sample(x.size(0))
            loss = loss + beta * F.cross_entropy(model(bx2), by2)
        loss.backward()
        optimizer.step()
        # logits are stored as fixed targets for later distillation
        buffer.add(x, y, logits.detach())
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0); random.seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 6))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    buffer = ReservoirBuffer(capacity=40)
    for task in range(3):
        data = [(torch.randn(8, 10) + task, torch.randint(2 * task, 2 * task + 2, (8,)))
                for _ in range(5)]
        print("task", task, train_task(model, optimizer, buffer, data))
