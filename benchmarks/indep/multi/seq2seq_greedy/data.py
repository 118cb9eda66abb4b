import torch


def copy_task(batch, length, vocab):
    src = torch.randint(2, vocab, (batch, length))
    return src, src.clone()
