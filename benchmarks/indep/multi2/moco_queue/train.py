import torch

from encoder import Encoder
from moco import MoCo
from data import two_views


def main():
    torch.manual_seed(0)
    model = MoCo(Encoder(), dim=16, queue_size=64)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.03, momentum=0.9)
    dataset = torch.randn(128, 32)
    for step in range(8):
        x = dataset[torch.randint(0, 128, (16,))]
        x_q, x_k = two_views(x)
        loss = model(x_q, x_k)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step} infonce {loss.item():.4f}")


if __name__ == "__main__":
    main()
