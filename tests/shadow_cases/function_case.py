import torch
import torch.nn as nn

torch.manual_seed(0)
encoder = nn.Linear(4, 4)
head = nn.Linear(4, 1)


def make_loss():
    h = encoder(torch.randn(2, 4))
    return head(h.detach()).pow(2).mean()


def train_step():
    loss = make_loss()
    loss.backward()
    return loss.item()


def takes_args(x):
    return x


if __name__ == "__main__":
    raise SystemExit("the script body must not run in function mode")
