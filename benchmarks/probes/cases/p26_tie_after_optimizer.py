import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F


class GRULanguageModel(nn.Module):
    def __init__(self, vocab_size, emb_dim=24, hidden=24):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim)
        self.gru = nn.GRU(emb_dim, hidden, batch_first=True)
        self.proj = nn.Linear(hidden, emb_dim)
        self.out = nn.Linear(emb_dim, vocab_size)

    def tie_weights(self):
        self.out.weight = self.embedding.weight

    def forward(self, x):
        h, _ = self.gru(self.embedding(x))
        return self.out(torch.tanh(self.proj(h)))


def build_optimizer(model, args):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") else decay).append(p)
    return torch.optim.AdamW([
        {"params": decay, "weight_decay": args.wd},
        {"params": no_decay, "weight_decay": 0.0},
    ], lr=args.lr)


parser = argparse.ArgumentParser()
parser.add_argument("--vocab", type=int, default=50)
parser.add_argument("--lr", type=float, default=3e-3)
parser.add_argument("--wd", type=float, default=0.0)
parser.add_argument("--tied", action="store_true", default=True)
args, _ = parser.parse_known_args()

torch.manual_seed(0)
model = GRULanguageModel(args.vocab)
optimizer = build_optimizer(model, args)
if args.tied:
    model.tie_weights()

tokens = torch.randint(0, args.vocab, (8, 21))
for step in range(10):
    inp, tgt = tokens[:, :-1], tokens[:, 1:]
    logits = model(inp)
    loss = F.cross_entropy(logits.reshape(-1, args.vocab), tgt.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 3 == 0:
        print(step, loss.item())
