import random

import torch
import torch.nn as nn
import torch.nn.functional as F

SOS = 1


class EncoderRNN(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)

    def forward(self, src):
        return self.gru(self.embedding(src))


class AttnDecoderRNN(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.attn = nn.Linear(hidden * 2, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.gru = nn.GRU(hidden * 2, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def step(self, token, hidden, enc_out):
        emb = self.embedding(token).unsqueeze(1)                       # B,1,H
        query = hidden.transpose(0, 1).expand(-1, enc_out.size(1), -1)  # B,T,H
        scores = self.v(torch.tanh(self.attn(torch.cat([query, enc_out], dim=2))))
        weights = F.softmax(scores, dim=1)
        context = (weights * enc_out).sum(dim=1, keepdim=True)
        output, hidden = self.gru(torch.cat([emb, context], dim=2), hidden)
        return F.log_softmax(self.out(output.squeeze(1)), dim=-1), hidden

    def forward(self, enc_out, hidden, target, teacher_forcing_ratio=0.5):
        batch, max_len = target.shape
        token = torch.full((batch,), SOS, dtype=torch.long)
        outputs = []
        for t in range(max_len):
            log_probs, hidden = self.step(token, hidden, enc_out)
            outputs.append(log_probs)
            if random.random() < teacher_forcing_ratio:
                token = target[:, t]
            else:
                _, topi = log_probs.topk(1)
                token = topi.squeeze(1).detach()  # use own prediction as next input
        return torch.stack(outputs, dim=1)
