"""Word-level LSTM language model (PyTorch word_language_model style):
tied input/output embeddings, hidden state repackaged between BPTT chunks."""
import argparse
import torch
import torch.nn as nn

torch.manual_seed(0)

p = argparse.ArgumentParser()
p.add_argument("--ntokens", type=int, default=60)
p.add_argument("--emsize", type=int, default=24)
p.add_argument("--nlayers", type=int, default=2)
p.add_argument("--bptt", type=int, default=8)
p.add_argument("--clip", type=float, default=0.25)
p.add_argument("--lr", type=float, default=1.0)
p.add_argument("--tied", action="store_true", default=True)
args = p.parse_args([])


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nlayers, tie_weights):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, ninp, nlayers, dropout=0.2)
        self.decoder = nn.Linear(ninp, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.nlayers, self.nhid = nlayers, ninp
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, inp, hidden):
        emb = self.drop(self.encoder(inp))
        out, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(out)), hidden

    def init_hidden(self, bsz):
        w = next(self.parameters())
        return (w.new_zeros(self.nlayers, bsz, self.nhid), w.new_zeros(self.nlayers, bsz, self.nhid))


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


corpus = torch.randint(0, args.ntokens, (6 * args.bptt + 1, 4))
model = RNNModel(args.ntokens, args.emsize, args.nlayers, args.tied)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

model.train()
hidden = model.init_hidden(4)
total = 0.0
for batch, i in enumerate(range(0, corpus.size(0) - 1, args.bptt)):
    data, targets = get_batch(corpus, i, args.bptt)
    hidden = repackage_hidden(hidden)
    optimizer.zero_grad()
    output, hidden = model(data, hidden)
    loss = criterion(output.view(-1, args.ntokens), targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    optimizer.step()
    total += loss.item()
