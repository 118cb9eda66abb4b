import torch


def make_dataset(n=128, seq_len=12, vocab=50, num_classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(1, vocab, (n, seq_len), generator=g)
    labels = (tokens[:, 0] % num_classes)
    return tokens, labels


def iterate(tokens, labels, batch_size, generator=None):
    perm = torch.randperm(len(tokens), generator=generator)
    for i in range(0, len(perm), batch_size):
        idx = perm[i:i + batch_size]
        yield tokens[idx], labels[idx]
