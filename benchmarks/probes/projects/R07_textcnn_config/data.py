import torch


def toy_sentiment(n=160, seq_len=20, vocab_size=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(1, vocab_size, (n, seq_len), generator=g)
    lengths = torch.randint(8, seq_len + 1, (n,), generator=g)
    for i, L in enumerate(lengths.tolist()):
        tokens[i, L:] = 0
    positive = (tokens < vocab_size // 4) & (tokens > 0)
    negative = tokens > 3 * vocab_size // 4
    labels = (positive.sum(1) > negative.sum(1)).long()
    return tokens, labels


def batches(tokens, labels, batch_size, shuffle=True):
    idx = torch.randperm(len(tokens)) if shuffle else torch.arange(len(tokens))
    for i in range(0, len(idx), batch_size):
        j = idx[i:i + batch_size]
        yield tokens[j], labels[j]
