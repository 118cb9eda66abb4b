import torch

from model import TextCNN
from trainer import Trainer


def main():
    torch.manual_seed(0)
    tokens = torch.randint(0, 50, (64, 12))
    labels = torch.randint(0, 3, (64,))
    trainer = Trainer(TextCNN(), lr=3e-3)
    for epoch in range(2):
        for i in range(0, 64, 16):
            loss = trainer.train_step(tokens[i:i + 16], labels[i:i + 16])
        acc = trainer.evaluate(tokens, labels)
        print(f"epoch {epoch} loss {loss:.4f} acc {acc:.3f}")


if __name__ == "__main__":
    main()
