"""BYOL: online network (encoder + projector + predictor) and a momentum target network."""
import copy

import torch
import torch.nn as nn

from ema import MomentumUpdater

from .encoder import mlp


class BYOL(nn.Module):
    def __init__(self, encoder, proj_dim=16, hidden=64, base_momentum=0.99):
        super().__init__()
        self.online_encoder = encoder
        self.online_projector = mlp(encoder.out_dim, hidden, proj_dim)
        self.predictor = mlp(proj_dim, hidden, proj_dim)
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.target_projector = copy.deepcopy(self.online_projector)
        for p in list(self.target_encoder.parameters()) + list(self.target_projector.parameters()):
            p.requires_grad = False
        self.momentum = MomentumUpdater(base_momentum)

    def online_parameters(self):
        for m in (self.online_encoder, self.online_projector, self.predictor):
            yield from m.parameters()

    def forward(self, v1, v2):
        p1 = self.predictor(self.online_projector(self.online_encoder(v1)))
        p2 = self.predictor(self.online_projector(self.online_encoder(v2)))
        with torch.no_grad():
            z1 = self.target_projector(self.target_encoder(v1))
            z2 = self.target_projector(self.target_encoder(v2))
        return (p1, p2), (z1, z2)

    def update_target(self, step, total_steps):
        self.momentum.update(self.online_encoder, self.target_encoder, step, total_steps)
        self.momentum.update(self.online_projector, self.target_projector, step, total_steps)
