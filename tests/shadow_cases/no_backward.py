import torch
import torch.nn as nn

model = nn.Linear(3, 1)
with torch.no_grad():
    pred = model(torch.randn(4, 3))
print(pred.shape)
