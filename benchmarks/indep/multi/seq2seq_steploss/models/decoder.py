import torch
import torch.nn as nn


class GRUDecoder(nn.Module):
    def __init__(self, vocab_size, emb_dim, hidden_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.rnn = nn.GRU(emb_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def forward_step(self, token, hidden):
        emb = self.embedding(token).unsqueeze(1)
        output, hidden = self.rnn(emb, hidden)
        return self.out(output.squeeze(1)), hidden

    def forward(self, hidden, tgt):
        # teacher forcing: feed ground-truth token at every step
        logits = []
        for t in range(tgt.size(1) - 1):
            step_logits, hidden = self.forward_step(tgt[:, t], hidden)
            logits.append(step_logits)
        return logits
