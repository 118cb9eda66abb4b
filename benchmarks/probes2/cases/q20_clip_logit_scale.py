"""CLIP-style contrastive pretraining of an image tower and a text tower with
a learnable temperature (logit_scale), clamped at 100 as in the paper."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ImageTower(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, dim))

    def forward(self, x):
        return self.net(x)


class TextTower(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab, 32, mode="mean")
        self.proj = nn.Linear(32, dim)

    def forward(self, tokens):
        return self.proj(self.emb(tokens))


class CLIP(nn.Module):
    def __init__(self, vocab=200, dim=16, init_temp=0.07, max_scale=100.0):
        super().__init__()
        self.visual = ImageTower(dim)
        self.text = TextTower(vocab, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / init_temp)))
        self.max_scale = max_scale

    def forward(self, images, tokens):
        img = F.normalize(self.visual(images), dim=-1)
        txt = F.normalize(self.text(tokens), dim=-1)
        scale = min(self.logit_scale.exp().item(), self.max_scale)
        logits_per_image = scale * img @ txt.t()
        return logits_per_image, logits_per_image.t()


def clip_loss(logits_i, logits_t):
    labels = torch.arange(logits_i.size(0))
    return (F.cross_entropy(logits_i, labels) + F.cross_entropy(logits_t, labels)) / 2


model = CLIP()
decay, no_decay = [], []
for n, p in model.named_parameters():
    (no_decay if p.ndim < 2 or "logit_scale" in n else decay).append(p)
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.2},
                               {"params": no_decay, "weight_decay": 0.0}], lr=5e-4)

log = []
for step in range(8):
    images = torch.randn(16, 3, 16, 16)
    tokens = torch.randint(0, 200, (16, 7))
    loss = clip_loss(*model(images, tokens))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    log.append({"loss": loss.item(), "temp": 1.0 / model.logit_scale.exp().item()})
