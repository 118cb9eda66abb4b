import torch
import torch.nn as nn

from probe import build_backbone, FrozenFeatureExtractor, evaluate

NUM_CLASSES = 5


def main():
    torch.manual_seed(0)
    backbone = build_backbone(out_dim=32)
    # state = torch.load("simclr_r18.pth"); backbone.load_state_dict(state)
    extractor = FrozenFeatureExtractor(backbone)
    head = nn.Linear(32, NUM_CLASSES)
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)

    x_train, y_train = torch.randn(40, 3, 12, 12), torch.randint(0, NUM_CLASSES, (40,))
    x_val, y_val = torch.randn(16, 3, 12, 12), torch.randint(0, NUM_CLASSES, (16,))
    for epoch in range(3):
        extractor.train()
        head.train()
        for i in range(0, 40, 10):
            feats = extractor(x_train[i:i + 10])
            loss = nn.functional.cross_entropy(head(feats), y_train[i:i + 10])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        val_loss, val_acc = evaluate(extractor, head, x_val, y_val)
        print(f"epoch {epoch} train {loss.item():.3f} val {val_loss:.3f} acc {val_acc:.2f}")


if __name__ == "__main__":
    main()
