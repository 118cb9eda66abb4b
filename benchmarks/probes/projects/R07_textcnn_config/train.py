import torch
import torch.nn.functional as F

from config import TrainConfig
from data import batches, toy_sentiment
from models import build_model

cfg = TrainConfig()
torch.manual_seed(cfg.seed)

tokens, labels = toy_sentiment(vocab_size=cfg.model.vocab_size)
model = build_model(cfg.model)
optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)

for epoch in range(cfg.epochs):
    model.train()
    total, correct, seen = 0.0, 0, 0
    for x, y in batches(tokens, labels, cfg.batch_size):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(y)
    print(f"epoch {epoch}: loss {total / seen:.4f} acc {correct / seen:.3f}")
