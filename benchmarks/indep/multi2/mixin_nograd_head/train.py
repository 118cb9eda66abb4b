import torch
import torch.nn as nn

from models import AudioTagger


def main():
    torch.manual_seed(0)
    model = AudioTagger(n_mels=16, dim=32, n_classes=5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.BCEWithLogitsLoss()
    mels = torch.randn(32, 16, 40)
    tags = (torch.rand(32, 5) > 0.6).float()
    for step in range(6):
        idx = torch.randperm(32)[:8]
        logits = model(mels[idx])
        loss = criterion(logits, tags[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
