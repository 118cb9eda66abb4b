"""Original WGAN on 2-D toy data: critic trained n_critic times per generator
step on detached fakes, weights clipped after every critic update."""
import torch
import torch.nn as nn

torch.manual_seed(0)

Z_DIM, N_CRITIC, CLIP, BATCH = 8, 3, 0.05, 64


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(Z_DIM, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                 nn.Linear(64, 2))

    def forward(self, z):
        return self.net(z)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64),
                                 nn.LeakyReLU(0.2), nn.Linear(64, 1, bias=False))

    def forward(self, x):
        return self.net(x).view(-1)


def sample_real(n):
    centers = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    idx = torch.randint(0, 4, (n,))
    return centers[idx] + 0.05 * torch.randn(n, 2)


G, D = Generator(), Critic()
opt_g = torch.optim.RMSprop(G.parameters(), lr=5e-4)
opt_d = torch.optim.RMSprop(D.parameters(), lr=5e-4)

log = {"d": [], "g": [], "w_dist": []}
for it in range(8):
    for _ in range(N_CRITIC):
        real = sample_real(BATCH)
        fake = G(torch.randn(BATCH, Z_DIM)).detach()
        loss_d = D(fake).mean() - D(real).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        for p in D.parameters():
            p.data.clamp_(-CLIP, CLIP)
        log["w_dist"].append(-loss_d.item())

    for p in D.parameters():
        p.requires_grad_(False)
    fake = G(torch.randn(BATCH, Z_DIM))
    loss_g = -D(fake).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)
    log["d"].append(loss_d.item())
    log["g"].append(loss_g.item())
