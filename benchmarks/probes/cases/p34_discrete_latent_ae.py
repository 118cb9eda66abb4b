import torch
import torch.nn as nn
import torch.nn.functional as F


def hard_categorical(logits, tau=1.0):
    gumbels = -torch.empty_like(logits).exponential_().log()
    y_soft = F.softmax((logits + gumbels) / tau, dim=-1)
    index = y_soft.max(-1, keepdim=True)[1]
    y_hard = torch.zeros_like(logits).scatter_(-1, index, 1.0)
    return y_hard


class DiscreteAE(nn.Module):
    def __init__(self, in_dim=20, n_latents=4, n_cats=6, hidden=32):
        super().__init__()
        self.n_latents, self.n_cats = n_latents, n_cats
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_latents * n_cats))
        self.decoder = nn.Sequential(nn.Linear(n_latents * n_cats, hidden), nn.ReLU(), nn.Linear(hidden, in_dim))

    def forward(self, x, tau):
        logits = self.encoder(x).view(-1, self.n_latents, self.n_cats)
        z = hard_categorical(logits, tau)
        recon = self.decoder(z.flatten(1))
        with torch.no_grad():
            usage = z.mean(0)
            perplexity = torch.exp(-(usage * usage.clamp_min(1e-8).log()).sum(-1)).mean()
        return recon, perplexity


torch.manual_seed(0)
model = DiscreteAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
data = torch.randn(96, 20)
tau = 1.0

for epoch in range(4):
    for i in range(0, 96, 32):
        x = data[i:i + 32]
        recon, perplexity = model(x, tau)
        loss = F.mse_loss(recon, x, reduction="sum") / x.size(0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    tau = max(0.5, tau * 0.9)
    print(f"epoch {epoch} loss {loss.item():.3f} tau {tau:.2f} perplexity {perplexity.item():.2f}")
