import torch
import torch.nn as nn
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 8)
        self.head = nn.Linear(8, 1)
    def forward(self, x, hidden):
        out, hidden = self.rnn(x, hidden)
        return self.head(out), hidden
model = M()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(5, 3, 10, 4)
hidden = None
for i in range(3):
    opt.zero_grad()
    out, hidden = model(x[i], hidden)
    loss = out.pow(2).mean()
    loss.backward()
    opt.step()
