import torch
import torch.nn as nn

from losses import CenterLoss
from net import EmbeddingNet

NUM_CLASSES = 4
LAMBDA_C = 0.01


def main():
    torch.manual_seed(0)
    model = EmbeddingNet(num_classes=NUM_CLASSES)
    criterion_xent = nn.CrossEntropyLoss()
    criterion_cent = CenterLoss(NUM_CLASSES, feat_dim=2)
    optimizer_model = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    optimizer_centloss = torch.optim.SGD(criterion_cent.parameters(), lr=0.5)

    for step in range(5):
        x = torch.randn(16, 20)
        y = torch.randint(0, NUM_CLASSES, (16,))
        feats, logits = model(x)
        loss = criterion_xent(logits, y) + LAMBDA_C * criterion_cent(feats, y)
        optimizer_model.zero_grad()
        optimizer_centloss.zero_grad()
        loss.backward()
        optimizer_model.step()
        # remove the effect of LAMBDA_C on the center update
        for param in criterion_cent.parameters():
            param.grad.data *= (1.0 / LAMBDA_C)
        optimizer_centloss.step()
        print(f"step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
