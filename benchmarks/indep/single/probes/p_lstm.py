import torch
import torch.nn as nn
rnn = nn.LSTM(4, 8)
head = nn.Linear(8, 1)
opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.1)
x = torch.randn(5, 3, 10, 4)
hidden = None
for i in range(3):
    opt.zero_grad()
    out, hidden = rnn(x[i], hidden)
    loss = head(out).pow(2).mean()
    loss.backward()
    opt.step()
