import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Linear(4, 3)
x = torch.randn(8, 4)
y = torch.randint(0, 3, (8,))


def ignores_target(logits, target):
    return logits.pow(2).mean()


def uses_target(logits, target):
    return F.cross_entropy(logits, target)


out = model(x)
loss = ignores_target(out, y) + uses_target(out, y)
penalties = torch.Tensor([out.mean(), out.std()])
loss = loss + penalties.sum()
loss.backward()
