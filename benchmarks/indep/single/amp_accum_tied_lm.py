# Tiny GPT-style LM with tied input/output embeddings, mixed precision (GradScaler,
# enabled only on GPU), gradient accumulation, and an auxiliary next-token-type loss.
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
V, D, T = 64, 32, 12


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(V, D)
        self.pos = nn.Parameter(torch.zeros(1, T, D))
        self.block = nn.TransformerEncoderLayer(D, 4, 64, dropout=0.0, batch_first=True)
        self.ln = nn.LayerNorm(D)
        self.lm_head = nn.Linear(D, V, bias=False)
        self.lm_head.weight = self.tok.weight
        self.type_head = nn.Linear(D, 3)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            with torch.no_grad():
                m.weight.normal_(0, 0.02)
                if m.bias is not None:
                    m.bias.zero_()

    def forward(self, idx):
        mask = torch.triu(torch.full((T, T), float("-inf"), device=idx.device), diagonal=1)
        h = self.block(self.tok(idx) + self.pos, src_mask=mask)
        h = self.ln(h)
        return self.lm_head(h), self.type_head(h)


model = TinyLM().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
scaler = torch.cuda.amp.GradScaler(enabled=(device == "cuda"))
accum = 2
data = torch.randint(0, V, (8, T + 1))

step_losses = []
for it, chunk in enumerate(data.split(2)):
    x, y = chunk[:, :-1].to(device), chunk[:, 1:].to(device)
    with torch.autocast(device_type=device, dtype=torch.float16, enabled=(device == "cuda")):
        logits, type_logits = model(x)
        lm_loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        type_loss = F.cross_entropy(type_logits.reshape(-1, 3), (y % 3).reshape(-1))
        loss = (lm_loss + 0.5 * type_loss) / accum
    scaler.scale(loss).backward()
    step_losses.append(loss.item() * accum)
    if (it + 1) % accum == 0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        print(it, sum(step_losses) / len(step_losses), math.exp(lm_loss.item()))
        step_losses.clear()
