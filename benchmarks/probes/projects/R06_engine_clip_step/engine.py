import torch
import torch.nn.functional as F


def clip_gradients(model, max_norm):
    if max_norm is None:
        return None
    return torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm).item()


def train_step(model, batch, optimizer, max_grad_norm=None):
    model.train()
    tokens, labels = batch
    logits = model(tokens)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    grad_norm = clip_gradients(model, max_grad_norm)
    optimizer.zero_grad()
    optimizer.step()
    return loss.item(), grad_norm


@torch.no_grad()
def evaluate(model, tokens, labels):
    model.eval()
    logits = model(tokens)
    return (logits.argmax(-1) == labels).float().mean().item()
