# Discrete VAE with categorical latents, trained with the straight-through Gumbel-softmax
# (hard=True: one-hot samples forward, soft gradients backward) and temperature annealing.
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

N_LAT, K = 4, 8


class DiscreteVAE(nn.Module):
    def __init__(self, d=20):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, N_LAT * K))
        self.dec = nn.Sequential(nn.Linear(N_LAT * K, 64), nn.ReLU(), nn.Linear(64, d))

    def forward(self, x, tau):
        logits = self.enc(x).view(-1, N_LAT, K)
        z = F.gumbel_softmax(logits, tau=tau, hard=True, dim=-1)
        recon = self.dec(z.view(-1, N_LAT * K))
        return recon, logits


def loss_fn(recon, x, logits):
    rec = F.mse_loss(recon, x, reduction="sum") / x.size(0)
    q = F.softmax(logits, dim=-1)
    kl = (q * (F.log_softmax(logits, dim=-1) + math.log(K))).sum(dim=(1, 2)).mean()
    return rec + kl, rec.item(), kl.item()


def train(model, data, optimizer, epochs=3, tau0=1.0, anneal=0.7):
    for epoch in range(epochs):
        tau = max(0.3, tau0 * anneal ** epoch)
        for x in data:
            optimizer.zero_grad()
            recon, logits = model(x, tau)
            loss, rec, kl = loss_fn(recon, x, logits)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} tau {tau:.2f} rec {rec:.3f} kl {kl:.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    data = [torch.randn(16, 20) for _ in range(5)]
    model = DiscreteVAE()
    train(model, data, torch.optim.Adam(model.parameters(), lr=1e-3))
