# Speaker embedding model: encoder -> per-batch feature standardisation -> classifier.
# Classifier accuracy goes up a bit but the encoder weights never change.
import numpy as np
import torch
import torch.nn as nn


class SpeakerNet(nn.Module):
    def __init__(self, n_mels=20, emb=32, n_speakers=6):
        super().__init__()
        self.encoder = nn.GRU(n_mels, emb, batch_first=True)
        self.proj = nn.Linear(emb, emb)
        self.classifier = nn.Linear(emb, n_speakers)

    @staticmethod
    def standardize(feats):
        arr = feats.detach().cpu().numpy()
        arr = (arr - arr.mean(axis=0, keepdims=True)) / (arr.std(axis=0, keepdims=True) + 1e-5)
        return torch.from_numpy(arr.astype(np.float32))

    def forward(self, mel):
        _, h = self.encoder(mel)
        emb = self.proj(h[-1])
        emb = self.standardize(emb)
        return self.classifier(emb)


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = nn.CrossEntropyLoss()

    def step(self, mel, spk):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(mel), spk)
        loss.backward()
        self.opt.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    trainer = Trainer(SpeakerNet())
    for it in range(6):
        mel = torch.randn(12, 15, 20)
        spk = torch.randint(0, 6, (12,))
        print(it, trainer.step(mel, spk))
