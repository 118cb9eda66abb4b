"""Character-level GRU language model trained with truncated BPTT on a long
stream; the initial hidden state of each new document is a learned vector."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, EMB, HIDDEN, BPTT, BATCH = 30, 16, 32, 10, 4


class CharGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMB)
        self.rnn = nn.GRU(EMB, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, VOCAB)
        self.reset_state()

    def reset_state(self):
        """Start of a new document: go back to the learned initial state."""
        self.h0 = nn.Parameter(torch.zeros(1, 1, HIDDEN))

    def initial_hidden(self, batch_size):
        return self.h0.expand(1, batch_size, HIDDEN).contiguous()

    def forward(self, tokens, hidden):
        out, hidden = self.rnn(self.embed(tokens), hidden)
        return self.out(out), hidden


def batchify(stream, batch):
    n = stream.size(0) // batch
    return stream[: n * batch].view(batch, n)


model = CharGRU()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

documents = [torch.randint(0, VOCAB, (BATCH * (3 * BPTT + 1),)) for _ in range(3)]
ppl_log = []
for doc in documents:
    data = batchify(doc, BATCH)
    model.reset_state()
    hidden = model.initial_hidden(BATCH)
    for i in range(0, data.size(1) - 1, BPTT):
        seq_len = min(BPTT, data.size(1) - 1 - i)
        inp, tgt = data[:, i:i + seq_len], data[:, i + 1:i + 1 + seq_len]
        if i > 0:
            hidden = hidden.detach()  # truncate BPTT at chunk boundaries
        logits, hidden = model(inp, hidden)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        ppl_log.append(loss.exp().item())
