import torch

from models import CheckpointedTransformer
from engine import train_one_epoch, evaluate


def main():
    torch.manual_seed(0)
    tokens = torch.randint(0, 40, (48, 10))
    labels = torch.randint(0, 3, (48,))
    batches = [(tokens[i:i + 16], labels[i:i + 16]) for i in range(0, 48, 16)]
    model = CheckpointedTransformer(use_checkpoint=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for epoch in range(2):
        loss = train_one_epoch(model, optimizer, batches)
        acc = evaluate(model, batches)
        print(f"epoch {epoch} loss {loss:.4f} acc {acc:.3f}")


if __name__ == "__main__":
    main()
