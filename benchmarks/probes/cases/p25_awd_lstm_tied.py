import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropouts=(0.2, 0.1, 0.2)):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnns = nn.ModuleList([
            nn.LSTM(ninp if l == 0 else nhid, nhid if l != nlayers - 1 else ninp, 1)
            for l in range(nlayers)
        ])
        self.decoder = nn.Linear(ninp, ntoken)
        self.decoder.weight = self.encoder.weight
        self.dropouts = list(dropouts)
        self.nlayers = nlayers

    def init_hidden(self, bsz):
        return [(torch.zeros(1, bsz, r.hidden_size), torch.zeros(1, bsz, r.hidden_size)) for r in self.rnns]

    def forward(self, input, hidden):
        emb = F.dropout(self.encoder(input), self.dropouts[0], self.training)
        out, new_hidden = emb, []
        for l, rnn in enumerate(self.rnns):
            out, h = rnn(out, hidden[l])
            new_hidden.append(h)
            if l != self.nlayers - 1:
                out = F.dropout(out, self.dropouts[1], self.training)
        out = F.dropout(out, self.dropouts[2], self.training)
        return self.decoder(out), new_hidden


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return type(h)(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data[:nbatch * bsz].view(bsz, -1).t().contiguous()


torch.manual_seed(0)
ntokens, bptt = 30, 8
train_data = batchify(torch.randint(0, ntokens, (400,)), 4)
model = RNNModel(ntokens, ninp=16, nhid=24, nlayers=2)
optimizer = torch.optim.SGD(model.parameters(), lr=1.0)

model.train()
hidden = model.init_hidden(4)
for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
    seq_len = min(bptt, train_data.size(0) - 1 - i)
    data, targets = train_data[i:i + seq_len], train_data[i + 1:i + 1 + seq_len].reshape(-1)
    hidden = repackage_hidden(hidden)
    output, hidden = model(data, hidden)
    loss = F.cross_entropy(output.view(-1, ntokens), targets)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    optimizer.step()
    if batch % 4 == 0:
        print(f"batch {batch} loss {loss.item():.3f} ppl {torch.exp(loss).item():.1f}")
