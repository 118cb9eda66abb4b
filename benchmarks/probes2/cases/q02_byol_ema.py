"""BYOL-style self-supervised pretraining: online encoder+projector+predictor,
EMA target network updated in place, stop-gradient on the target branch."""
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

CFG = dict(in_dim=32, feat=64, proj=32, batch=16, steps=8, lr=1e-3, tau=0.99)


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(inplace=True), nn.Linear(h, o))


class Encoder(nn.Module):
    def __init__(self, in_dim, feat):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, feat), nn.ReLU(), nn.Linear(feat, feat))

    def forward(self, x):
        return self.net(x)


class BYOL(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.online_encoder = Encoder(cfg["in_dim"], cfg["feat"])
        self.online_projector = mlp(cfg["feat"], 128, cfg["proj"])
        self.predictor = mlp(cfg["proj"], 128, cfg["proj"])
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.target_projector = copy.deepcopy(self.online_projector)
        for p in list(self.target_encoder.parameters()) + list(self.target_projector.parameters()):
            p.requires_grad = False
        self.tau = cfg["tau"]

    def online_params(self):
        return (list(self.online_encoder.parameters()) + list(self.online_projector.parameters())
                + list(self.predictor.parameters()))

    @torch.no_grad()
    def update_target(self):
        pairs = [(self.online_encoder, self.target_encoder), (self.online_projector, self.target_projector)]
        for online, target in pairs:
            for po, pt in zip(online.parameters(), target.parameters()):
                pt.data.mul_(self.tau).add_(po.data, alpha=1 - self.tau)

    def forward(self, v1, v2):
        p1 = self.predictor(self.online_projector(self.online_encoder(v1)))
        p2 = self.predictor(self.online_projector(self.online_encoder(v2)))
        with torch.no_grad():
            t1 = self.target_projector(self.target_encoder(v1))
            t2 = self.target_projector(self.target_encoder(v2))
        return regression_loss(p1, t2.detach()) + regression_loss(p2, t1.detach())


def regression_loss(p, z):
    p = F.normalize(p, dim=-1)
    z = F.normalize(z, dim=-1)
    return (2 - 2 * (p * z).sum(dim=-1)).mean()


def augment(x):
    noise = 0.1 * torch.randn_like(x)
    mask = (torch.rand_like(x) > 0.1).float()
    return (x + noise) * mask


model = BYOL(CFG)
optimizer = torch.optim.Adam(model.online_params(), lr=CFG["lr"])
data = torch.randn(64, CFG["in_dim"])

losses = []
for step in range(CFG["steps"]):
    idx = torch.randint(0, data.size(0), (CFG["batch"],))
    x = data[idx]
    loss = model(augment(x), augment(x))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model.update_target()
    losses.append(loss.item())
