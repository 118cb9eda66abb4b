"""Self-supervised BYOL pre-training on random images with simple augmentations."""
import torch

from losses import embedding_stats, symmetric_byol_loss
from models import BYOL, SmallConvEncoder


def augment(x, gen):
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
    scale = 0.8 + 0.4 * torch.rand(x.shape[0], 1, 1, 1, generator=gen)
    return x * scale + 0.1 * torch.randn(x.shape, generator=gen)


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = BYOL(SmallConvEncoder(out_dim=32))
    optimizer = torch.optim.SGD(model.online_parameters(), lr=0.05, momentum=0.9, weight_decay=1e-5)
    total = 8
    for step in range(total):
        x = torch.randn(16, 3, 16, 16, generator=gen)
        preds, targets = model(augment(x, gen), augment(x, gen))
        loss = symmetric_byol_loss(preds, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.update_target(step, total)
        print(step, round(loss.item(), 4), embedding_stats(targets[0]))


if __name__ == "__main__":
    main()
