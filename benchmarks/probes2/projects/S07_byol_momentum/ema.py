import math

import torch


class MomentumUpdater:
    """tau schedule from BYOL: tau = 1 - (1 - base) * (cos(pi k / K) + 1) / 2."""

    def __init__(self, base_tau=0.99, final_tau=1.0):
        self.base_tau, self.final_tau = base_tau, final_tau

    def tau(self, step, total):
        return self.final_tau - (self.final_tau - self.base_tau) * (math.cos(math.pi * step / total) + 1) / 2

    @torch.no_grad()
    def update(self, online, target, step, total):
        tau = self.tau(step, total)
        for po, pt in zip(online.parameters(), target.parameters()):
            pt.data.mul_(tau).add_(po.detach().data, alpha=1 - tau)
        for bo, bt in zip(online.buffers(), target.buffers()):
            bt.copy_(bo)
