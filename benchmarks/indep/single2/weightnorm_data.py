# My own weight-normalised linear layer (w = g * v / ||v||) for a small MLP.
# The gain g trains but the direction v never moves from its init, why?
import torch
import torch.nn as nn
import torch.nn.functional as F


class WNLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.v = nn.Parameter(torch.randn(out_features, in_features) * 0.05)
        self.g = nn.Parameter(torch.ones(out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x):
        v_norm = self.v.data.norm(dim=1, keepdim=True)
        w = self.g.unsqueeze(1) * self.v.data / v_norm
        return F.linear(x, w, self.bias)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = WNLinear(8, 32)
        self.l2 = WNLinear(32, 32)
        self.out = WNLinear(32, 1)

    def forward(self, x):
        x = F.relu(self.l1(x))
        x = F.relu(self.l2(x))
        return self.out(x)


def train(model, data, optimizer, epochs=3):
    for epoch in range(epochs):
        for x, y in data:
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    torch.manual_seed(0)
    data = []
    for _ in range(5):
        x = torch.randn(32, 8)
        data.append((x, x.sum(dim=1, keepdim=True).sin()))
    model = MLP()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    train(model, data, optimizer)
