import torch
import torch.nn as nn
import torch.nn.functional as F


class VectorQuantizer(nn.Module):
    def __init__(self, n_codes=16, dim=8, beta=0.25):
        super().__init__()
        self.beta = beta
        self.codebook = nn.Embedding(n_codes, dim)
        self.codebook.weight.data.uniform_(-1.0 / n_codes, 1.0 / n_codes)

    def forward(self, z):
        flat = z.reshape(-1, z.size(-1))
        d = (flat.pow(2).sum(1, keepdim=True)
             - 2 * flat @ self.codebook.weight.t()
             + self.codebook.weight.pow(2).sum(1))
        idx = d.argmin(1)
        z_q = self.codebook(idx).view_as(z)
        codebook_loss = F.mse_loss(z_q, z.detach())
        commit_loss = F.mse_loss(z, z_q.detach())
        z_q = z + (z_q - z).detach()
        return z_q, codebook_loss + self.beta * commit_loss, idx


class VQVAE(nn.Module):
    def __init__(self, in_dim=24, hidden=32, code_dim=8, n_codes=16):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, code_dim))
        self.vq = VectorQuantizer(n_codes, code_dim)
        self.dec = nn.Sequential(nn.Linear(code_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_dim))

    def forward(self, x):
        z = self.enc(x)
        z_q, vq_loss, idx = self.vq(z)
        return self.dec(z_q), vq_loss, idx


torch.manual_seed(0)
data = torch.randn(128, 24)
model = VQVAE()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)

for epoch in range(6):
    perm = torch.randperm(128)
    for i in range(0, 128, 32):
        x = data[perm[i:i + 32]]
        recon, vq_loss, idx = model(x)
        rec_loss = F.mse_loss(recon, x)
        loss = rec_loss + vq_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    usage = torch.bincount(idx, minlength=16).gt(0).sum().item()
    print(f"epoch {epoch} rec {rec_loss.item():.4f} vq {vq_loss.item():.4f} codes used {usage}")
