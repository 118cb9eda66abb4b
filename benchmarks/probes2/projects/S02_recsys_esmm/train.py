"""Train ESMM on a synthetic impression log."""
import argparse

import torch

from losses import ESMMLoss
from metrics import auc
from models import build_model


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--embed-dim", type=int, default=8)
    return p.parse_args([])


def make_log(n, field_dims, gen):
    x = torch.stack([torch.randint(0, d, (n,), generator=gen) for d in field_dims], dim=1)
    click_logit = 0.8 * (x[:, 0] % 3 == 0).float() - 0.5 * (x[:, 1] % 2).float()
    click = torch.bernoulli(torch.sigmoid(click_logit), generator=gen)
    conv = torch.bernoulli(torch.sigmoid(-1.0 + (x[:, 2] % 4 == 1).float()), generator=gen)
    return x, click, conv


def train_one_epoch(model, loader, criterion, optimizer):
    model.train()
    for x, click, conv in loader:
        out = model(x)
        loss, logs = criterion(out, click, conv)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return logs


def main():
    args = parse_args()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    field_dims = [10, 6, 8, 5]
    x, click, conv = make_log(1024, field_dims, gen)
    loader = [(x[i:i + args.batch_size], click[i:i + args.batch_size], conv[i:i + args.batch_size])
              for i in range(0, len(x), args.batch_size)]
    model = build_model("esmm", field_dims=field_dims, embed_dim=args.embed_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = ESMMLoss(ctcvr_weight=1.0)
    for epoch in range(args.epochs):
        logs = train_one_epoch(model, loader, criterion, optimizer)
        model.eval()
        with torch.no_grad():
            out = model(x)
        print(epoch, logs, "ctr auc", auc(click.numpy(), out["p_ctr"].numpy()))


if __name__ == "__main__":
    main()
