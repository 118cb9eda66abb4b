import sys

import torch

x = torch.randn(3, requires_grad=True)
if x.shape[0] == 3:
    sys.exit(3)
x.sum().backward()
