import torch

from models import AttentionUNet
from losses import seg_loss


def main():
    torch.manual_seed(0)
    model = AttentionUNet(in_ch=1, n_classes=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(3):
        img = torch.randn(4, 1, 16, 16)
        mask = (img > 0.5).long().squeeze(1)
        logits = model(img)
        loss = seg_loss(logits, mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            iou = ((logits.argmax(1) == 1) & (mask == 1)).sum() / ((logits.argmax(1) == 1) | (mask == 1)).sum().clamp(min=1)
        print(f"step {step} loss {loss.item():.4f} iou {iou.item():.3f}")


if __name__ == "__main__":
    main()
