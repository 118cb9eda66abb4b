"""Domain-adversarial training (DANN): a gradient reversal layer between the
feature extractor and the domain classifier; labelled source batch,
unlabelled target batch, lambda ramped with the usual schedule."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.lambd, None


def grad_reverse(x, lambd=1.0):
    return GradReverse.apply(x, lambd)


class DANN(nn.Module):
    def __init__(self, in_dim=20, feat=32, n_cls=3):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(in_dim, feat), nn.ReLU(), nn.Linear(feat, feat), nn.ReLU())
        self.label_clf = nn.Linear(feat, n_cls)
        self.domain_clf = nn.Sequential(nn.Linear(feat, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x, lambd):
        f = self.features(x)
        return self.label_clf(f), self.domain_clf(grad_reverse(f, lambd)).squeeze(-1)


def lambda_schedule(progress, gamma=10.0):
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


model = DANN()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
TOTAL = 10
src_x, src_y = torch.randn(64, 20), torch.randint(0, 3, (64,))
tgt_x = torch.randn(64, 20) + 0.5

log = []
for step in range(TOTAL):
    lambd = lambda_schedule(step / TOTAL) + 0.05
    xs, ys = src_x[step % 4 * 16:(step % 4 + 1) * 16], src_y[step % 4 * 16:(step % 4 + 1) * 16]
    xt = tgt_x[step % 4 * 16:(step % 4 + 1) * 16]
    cls_s, dom_s = model(xs, lambd)
    _, dom_t = model(xt, lambd)
    loss_cls = F.cross_entropy(cls_s, ys)
    loss_dom = (F.binary_cross_entropy_with_logits(dom_s, torch.zeros_like(dom_s))
                + F.binary_cross_entropy_with_logits(dom_t, torch.ones_like(dom_t)))
    loss = loss_cls + loss_dom
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        dom_acc = ((dom_s < 0).float().mean() + (dom_t > 0).float().mean()).item() / 2
    log.append((loss_cls.item(), loss_dom.item(), dom_acc))
