import torch
import torch.nn.functional as F


def sequence_nll(step_logits, tgt, pad_idx=0):
    """Average the per-timestep cross entropy over the decoded sequence."""
    step_losses = []
    for t, logits in enumerate(step_logits):
        gold = tgt[:, t + 1]
        step_losses.append(F.cross_entropy(logits, gold, ignore_index=pad_idx))
    return torch.tensor(step_losses).mean()
