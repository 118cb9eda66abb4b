# Multi-label tagger where the number of tags comes from the dataset.
# Training loss is noisy and doesn't go down; predictions look random every epoch.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Tagger(nn.Module):
    def __init__(self, in_dim, hidden, num_tags):
        super().__init__()
        self.hidden = hidden
        self.num_tags = num_tags
        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(0.1))
        self.classifier = nn.Linear(hidden, num_tags)

    def forward(self, x):
        h = self.body(x)
        logits = nn.Linear(self.hidden, self.num_tags)(h)
        return logits


model = Tagger(24, 48, 6)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.BCEWithLogitsLoss()
feats = torch.randn(40, 24)
tags = (torch.rand(40, 6) > 0.7).float()

for epoch in range(4):
    for xb, yb in zip(feats.split(10), tags.split(10)):
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
