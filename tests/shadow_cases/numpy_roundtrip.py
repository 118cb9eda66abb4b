import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Linear(3, 3)
x = torch.randn(5, 3)
feats = model(x)
arr = np.tanh(feats.detach().cpu().numpy())
back = torch.from_numpy(arr)
scale = nn.Parameter(torch.ones(1))
loss = (back * scale).pow(2).mean()
loss.backward()
