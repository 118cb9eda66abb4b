"""Keyword spotting on synthetic log-mel features."""
import torch
import torch.nn.functional as F

from data import SyntheticKWS
from models import KeywordSpotter


def train_one_epoch(model, dataset, optimizer, steps, batch_size):
    model.train()
    correct = total = 0
    for _ in range(steps):
        x, y = dataset.batch(batch_size)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        correct += (logits.argmax(-1) == y).sum().item()
        total += y.numel()
    return loss.item(), correct / total


def main():
    torch.manual_seed(0)
    dataset = SyntheticKWS(num_keywords=6, n_mels=20)
    model = KeywordSpotter(n_mels=20, hidden=32, num_keywords=6)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(3):
        loss, acc = train_one_epoch(model, dataset, optimizer, steps=5, batch_size=16)
        print(f"epoch {epoch} loss {loss:.3f} acc {acc:.2f}")


if __name__ == "__main__":
    main()
