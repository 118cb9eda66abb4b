import copy

import torch
import torch.nn as nn


def mlp(in_dim, hidden, out_dim):
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out_dim))


class Encoder(nn.Module):
    def __init__(self, in_dim=32, feat_dim=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, feat_dim), nn.ReLU(), nn.Linear(feat_dim, feat_dim))

    def forward(self, x):
        return self.net(x)


class BYOL(nn.Module):
    def __init__(self, in_dim=32, feat_dim=64, proj_dim=16, tau=0.99):
        super().__init__()
        self.tau = tau
        self.online_encoder = Encoder(in_dim, feat_dim)
        self.online_projector = mlp(feat_dim, 64, proj_dim)
        self.predictor = mlp(proj_dim, 64, proj_dim)
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.target_projector = copy.deepcopy(self.online_projector)
        for p in list(self.target_encoder.parameters()) + list(self.target_projector.parameters()):
            p.requires_grad = False

    def online_parameters(self):
        return list(self.online_encoder.parameters()) + list(self.online_projector.parameters()) + \
            list(self.predictor.parameters())

    @torch.no_grad()
    def update_target(self):
        pairs = [(self.online_encoder, self.target_encoder), (self.online_projector, self.target_projector)]
        for online, target in pairs:
            for po, pt in zip(online.parameters(), target.parameters()):
                pt.data.mul_(self.tau).add_(po.data, alpha=1.0 - self.tau)

    def forward(self, v1, v2):
        p1 = self.predictor(self.online_projector(self.online_encoder(v1)))
        p2 = self.predictor(self.online_projector(self.online_encoder(v2)))
        with torch.no_grad():
            z1 = self.target_projector(self.target_encoder(v1))
            z2 = self.target_projector(self.target_encoder(v2))
        return p1, p2, z1, z2
