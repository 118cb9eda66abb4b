import functools
import torch
import torch.nn as nn
import torch.nn.functional as F


def focal_loss(logits, target, gamma=2.0):
    logp = F.log_softmax(logits, dim=1)
    logp_t = logp.gather(1, target.unsqueeze(1)).squeeze(1)
    p_t = logp_t.exp()
    return (-(1 - p_t) ** gamma * logp_t).mean()


def label_smoothing_ce(logits, target, eps=0.1):
    n = logits.size(1)
    logp = F.log_softmax(logits, dim=1)
    with torch.no_grad():
        soft = torch.full_like(logp, eps / (n - 1))
        soft.scatter_(1, target.unsqueeze(1), 1 - eps)
    return -(soft * logp).sum(1).mean()


LOSSES = {
    "ce": F.cross_entropy,
    "focal": functools.partial(focal_loss, gamma=1.5),
    "smooth": label_smoothing_ce,
}


class Args:
    loss = "focal"
    accum_steps = 4
    lr = 3e-3
    epochs = 3


def train(args):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.GELU(), nn.Linear(32, 4))
    criterion = LOSSES[args.loss]
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    X, Y = torch.randn(96, 10), torch.randint(0, 4, (96,))
    history = []
    optimizer.zero_grad()
    for epoch in range(args.epochs):
        running = 0.0
        for step, i in enumerate(range(0, 96, 8)):
            out = model(X[i:i + 8])
            loss = criterion(out, Y[i:i + 8]) / args.accum_steps
            loss.backward()
            running += loss.item()
            if (step + 1) % args.accum_steps == 0:
                optimizer.step()
                optimizer.zero_grad()
        history.append(round(running, 4))
        print(f"epoch {epoch} {args.loss} loss={running:.4f}")
    return history


if __name__ == "__main__":
    train(Args())
