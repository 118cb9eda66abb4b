import torch

from data import iterate, make_dataset
from engine import evaluate, train_step
from models import TinyTransformerClassifier

torch.manual_seed(0)

tokens, labels = make_dataset()
val_tokens, val_labels = make_dataset(n=32, seed=1)
model = TinyTransformerClassifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(4):
    for batch in iterate(tokens, labels, 16):
        loss, gnorm = train_step(model, batch, optimizer, max_grad_norm=1.0)
    scheduler.step()
    acc = evaluate(model, val_tokens, val_labels)
    print(f"epoch {epoch} loss {loss:.4f} |g| {gnorm:.3f} val_acc {acc:.3f}")
