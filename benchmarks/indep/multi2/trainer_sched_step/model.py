import torch.nn as nn


class TextCNN(nn.Module):
    def __init__(self, vocab=50, dim=16, n_classes=3, kernel=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.conv = nn.Conv1d(dim, 32, kernel, padding=1)
        self.fc = nn.Linear(32, n_classes)
        self.drop = nn.Dropout(0.1)

    def forward(self, tokens):
        h = self.embed(tokens).transpose(1, 2)
        h = self.conv(h).relu().max(dim=-1).values
        return self.fc(self.drop(h))
