import torch

from models import SmallResNet, KeypointDetector
from trainer import HeadOnlyTrainer


def main():
    torch.manual_seed(0)
    backbone = SmallResNet(ch=16)
    model = KeypointDetector(backbone, n_keypoints=4)
    trainer = HeadOnlyTrainer(model, lr=0.01)
    images = torch.rand(24, 3, 16, 16)
    heatmaps = torch.rand(24, 4, 16, 16)
    for epoch in range(2):
        for i in range(0, 24, 8):
            loss = trainer.train_step(images[i:i + 8], heatmaps[i:i + 8])
        print(f"epoch {epoch} loss {loss.item():.5f}")


if __name__ == "__main__":
    main()
