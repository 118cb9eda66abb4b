import torch.nn as nn

from quant import QuantLinear


class QuantMLP(nn.Module):
    def __init__(self, in_dim=16, hidden=32, out_dim=3, w_bits=4):
        super().__init__()
        self.fc1 = QuantLinear(in_dim, hidden, w_bits=w_bits)
        self.act = nn.ReLU()
        self.fc2 = QuantLinear(hidden, hidden, w_bits=w_bits)
        self.fc3 = nn.Linear(hidden, out_dim)  # keep last layer in full precision

    def forward(self, x):
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.fc3(x)
