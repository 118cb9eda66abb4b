"""Gradient accumulation with a hand-rolled dynamic loss scaler (what
torch.cuda.amp.GradScaler does), written for a CPU-only code path."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ManualScaler:
    def __init__(self, init_scale=2.0 ** 10, growth_interval=3):
        self.scale = init_scale
        self.growth_interval = growth_interval
        self._good_steps = 0

    def scale_loss(self, loss):
        return loss * self.scale

    @torch.no_grad()
    def unscale_(self, params):
        found_inf = False
        for p in params:
            if p.grad is None:
                continue
            p.grad.div_(self.scale)
            if not torch.isfinite(p.grad).all():
                found_inf = True
        return found_inf

    def update(self, found_inf):
        if found_inf:
            self.scale /= 2.0
            self._good_steps = 0
        else:
            self._good_steps += 1
            if self._good_steps % self.growth_interval == 0:
                self.scale *= 2.0


class TinyTransformerClassifier(nn.Module):
    def __init__(self, vocab=50, d=32, n_cls=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.layer = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=64, dropout=0.0,
                                                batch_first=True)
        self.cls = nn.Linear(d, n_cls)

    def forward(self, tokens):
        return self.cls(self.layer(self.emb(tokens)).mean(dim=1))


model = TinyTransformerClassifier()
params = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
scaler = ManualScaler()
ACCUM = 3

running, skipped = [], 0
optimizer.zero_grad(set_to_none=True)
for micro_step in range(ACCUM * 4):
    tokens = torch.randint(0, 50, (8, 12))
    labels = torch.randint(0, 3, (8,))
    loss = F.cross_entropy(model(tokens), labels) / ACCUM
    scaler.scale_loss(loss).backward()
    running.append(loss.item() * ACCUM)
    if (micro_step + 1) % ACCUM == 0:
        found_inf = scaler.unscale_(params)
        if not found_inf:
            torch.nn.utils.clip_grad_norm_(params, max_norm=1.0)
            optimizer.step()
        else:
            skipped += 1
        scaler.update(found_inf)
        optimizer.zero_grad(set_to_none=True)
assert not math.isnan(sum(running))
