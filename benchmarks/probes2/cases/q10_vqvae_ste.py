"""VQ-VAE on random vectors: nearest-codebook quantisation with the
straight-through estimator, codebook and commitment losses."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class VectorQuantizer(nn.Module):
    def __init__(self, num_codes=32, dim=8, beta=0.25):
        super().__init__()
        self.codebook = nn.Embedding(num_codes, dim)
        self.codebook.weight.data.uniform_(-1.0 / num_codes, 1.0 / num_codes)
        self.beta = beta

    def forward(self, z):
        d = (z.pow(2).sum(1, keepdim=True) - 2 * z @ self.codebook.weight.t()
             + self.codebook.weight.pow(2).sum(1))
        idx = d.argmin(dim=1)
        z_q = self.codebook(idx)
        codebook_loss = F.mse_loss(z_q, z.detach())
        commit_loss = F.mse_loss(z, z_q.detach())
        z_st = z + (z_q - z).detach()
        perplexity = torch.exp(-(F.one_hot(idx, self.codebook.num_embeddings).float().mean(0)
                                 .clamp_min(1e-10).log() * F.one_hot(idx, self.codebook.num_embeddings)
                                 .float().mean(0)).sum())
        return z_st, codebook_loss + self.beta * commit_loss, perplexity.item()


class VQVAE(nn.Module):
    def __init__(self, in_dim=24, hidden=64, code_dim=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, code_dim))
        self.vq = VectorQuantizer(dim=code_dim)
        self.decoder = nn.Sequential(nn.Linear(code_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_dim))

    def forward(self, x):
        z = self.encoder(x)
        z_q, vq_loss, ppl = self.vq(z)
        return self.decoder(z_q), vq_loss, ppl


model = VQVAE()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
data = torch.randn(256, 24)

metrics = []
for step in range(15):
    batch = data[torch.randperm(256)[:64]]
    recon, vq_loss, ppl = model(batch)
    rec_loss = F.mse_loss(recon, batch)
    loss = rec_loss + vq_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    metrics.append({"rec": rec_loss.item(), "vq": float(vq_loss), "ppl": ppl})
