# Word-level LSTM language model on a toy corpus.
# "RuntimeError: Trying to backward through the graph a second time" after the first batch?
import torch
import torch.nn as nn

torch.manual_seed(0)
vocab, emb_dim, hid, bptt, bsz = 50, 16, 32, 8, 4

corpus = torch.randint(0, vocab, (bsz, 8 * bptt + 1))


class RNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(vocab, emb_dim)
        self.rnn = nn.LSTM(emb_dim, hid, batch_first=True)
        self.decoder = nn.Linear(hid, vocab)

    def forward(self, x, hidden):
        out, hidden = self.rnn(self.encoder(x), hidden)
        return self.decoder(out), hidden

    def init_hidden(self, b):
        return (torch.zeros(1, b, hid), torch.zeros(1, b, hid))


model = RNNModel()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(2):
    model.train()
    hidden = model.init_hidden(bsz)
    total = 0.0
    for i in range(0, corpus.size(1) - 1, bptt):
        data = corpus[:, i:i + bptt]
        target = corpus[:, i + 1:i + 1 + bptt]
        optimizer.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output.reshape(-1, vocab), target.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        total += loss.item()
    print("epoch", epoch, "loss", total)
