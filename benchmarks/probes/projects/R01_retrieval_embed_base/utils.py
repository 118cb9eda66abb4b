import torch


def recall_at_k(embeddings, labels, k=1):
    sims = embeddings @ embeddings.t()
    sims.fill_diagonal_(-float("inf"))
    topk = sims.topk(k, dim=1).indices
    hits = (labels[topk] == labels[:, None]).any(dim=1)
    return hits.float().mean().item()


class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0.0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)
