"""A small training script with a gradient bug gradls finds: try `gradls check examples/`."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU())
head = nn.Linear(32, 4)
optimizer = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=1e-3)

for step in range(3):
    x = torch.randn(8, 16)
    y = torch.randint(0, 4, (8,))
    feats = encoder(x).detach()  # the encoder never trains: its output is detached
    loss = F.cross_entropy(head(feats), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.3f}")
