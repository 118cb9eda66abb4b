# Small U-Net-ish segmenter trained with a multi-class Dice loss.
# "RuntimeError: element 0 of tensors does not require grad" as soon as training starts.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

NUM_CLASSES = 3


class TinySeg(nn.Module):
    def __init__(self, in_ch=1, n_classes=NUM_CLASSES):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(in_ch, 8, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(8, n_classes, 1)

    def forward(self, x):
        return self.head(self.enc(x))


def dice_loss(logits, target, eps=1e-6):
    # compare predicted label map with the ground truth label map, one channel per class
    pred = F.one_hot(logits.argmax(dim=1), NUM_CLASSES).permute(0, 3, 1, 2).float()
    true = F.one_hot(target, NUM_CLASSES).permute(0, 3, 1, 2).float()
    inter = (pred * true).sum(dim=(2, 3))
    union = pred.sum(dim=(2, 3)) + true.sum(dim=(2, 3))
    dice = (2 * inter + eps) / (union + eps)
    return 1 - dice.mean()


def train(model, loader, optimizer, epochs=2):
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for img, mask in loader:
            optimizer.zero_grad()
            logits = model(img)
            loss = dice_loss(logits, mask)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: dice loss {total / len(loader):.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    imgs = torch.randn(16, 1, 16, 16)
    masks = torch.randint(0, NUM_CLASSES, (16, 16, 16))
    loader = DataLoader(TensorDataset(imgs, masks), batch_size=4, shuffle=True)
    model = TinySeg()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train(model, loader, optimizer)
