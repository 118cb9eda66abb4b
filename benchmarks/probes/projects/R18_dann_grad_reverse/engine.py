import math

import torch
import torch.nn.functional as F


def grl_lambda(progress, gamma=10.0):
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


def train_step(model, xs, ys, xt, optimizer, progress):
    alpha = grl_lambda(progress)
    cls_s, dom_s = model(xs, alpha)
    _, dom_t = model(xt, alpha)
    cls_loss = F.cross_entropy(cls_s, ys)
    dom_logits = torch.cat([dom_s, dom_t])
    dom_labels = torch.cat([torch.zeros_like(dom_s), torch.ones_like(dom_t)])
    dom_loss = F.binary_cross_entropy_with_logits(dom_logits, dom_labels)
    loss = cls_loss + dom_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return cls_loss.item(), dom_loss.item()


@torch.no_grad()
def target_accuracy(model, xt, yt):
    model.eval()
    logits, _ = model(xt)
    model.train()
    return (logits.argmax(1) == yt).float().mean().item()
