import torch.nn as nn


class SignActivation(nn.Module):
    """Binary activation used in BNN-style hidden layers: outputs 0/1."""

    def forward(self, x):
        return (x > 0).float()


class BinaryBlock(nn.Module):
    def __init__(self, din, dout):
        super().__init__()
        self.fc = nn.Linear(din, dout)
        self.bn = nn.BatchNorm1d(dout)
        self.act = SignActivation()

    def forward(self, x):
        return self.act(self.bn(self.fc(x)))
