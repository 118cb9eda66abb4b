import torch
import torch.nn as nn
import torch.nn.functional as F


class SentimentMLP(nn.Module):
    def __init__(self, vocab=100, dim=32):
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.fc = nn.Linear(dim, 2)

    def forward(self, tokens, offsets):
        return self.fc(self.emb(tokens, offsets))


def make_batches(n_batches, batch_size=8, vocab=100):
    batches = []
    for _ in range(n_batches):
        lengths = torch.randint(3, 10, (batch_size,))
        tokens = torch.randint(0, vocab, (int(lengths.sum()),))
        offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
        labels = torch.randint(0, 2, (batch_size,))
        batches.append((tokens, offsets, labels))
    return batches


def run_epoch(model, batches, optimizer=None, *, train=False):
    model.train(train)
    total_loss, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(train):
        for tokens, offsets, labels in batches:
            logits = model(tokens, offsets)
            loss = F.cross_entropy(logits, labels)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * labels.size(0)
            correct += (logits.argmax(1) == labels).sum().item()
            count += labels.size(0)
    return total_loss / count, correct / count


torch.manual_seed(0)
model = SentimentMLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
train_batches = make_batches(10)
val_batches = make_batches(3)

for epoch in range(3):
    tr_loss, tr_acc = run_epoch(model, train_batches, optimizer)
    va_loss, va_acc = run_epoch(model, val_batches)
    print(f"epoch {epoch} train {tr_loss:.3f}/{tr_acc:.2f} val {va_loss:.3f}/{va_acc:.2f}")
