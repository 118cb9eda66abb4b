import torch


def evaluate(extractor, head, x, y):
    with torch.set_grad_enabled(False):
        logits = head(extractor(x))
        loss = torch.nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    return loss, acc
