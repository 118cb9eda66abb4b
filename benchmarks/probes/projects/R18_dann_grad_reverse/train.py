import torch

from data import make_domains
from engine import target_accuracy, train_step
from models import DANN

torch.manual_seed(0)

(xs, ys), (xt, yt) = make_domains()
model = DANN()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

EPOCHS, BATCH = 5, 32
total = EPOCHS * (len(xs) // BATCH)
it = 0
for epoch in range(EPOCHS):
    perm_s, perm_t = torch.randperm(len(xs)), torch.randperm(len(xt))
    for i in range(0, len(xs), BATCH):
        s, t = perm_s[i:i + BATCH], perm_t[i:i + BATCH]
        cls_l, dom_l = train_step(model, xs[s], ys[s], xt[t], optimizer, it / total)
        it += 1
    print(f"epoch {epoch} cls {cls_l:.3f} dom {dom_l:.3f} tgt_acc {target_accuracy(model, xt, yt):.3f}")
