# Simple VAE on MNIST-like data. The loss prints fine but the model never learns,
# reconstruction stays blurry. I had to add requires_grad=True because backward() complained.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class VAE(nn.Module):
    def __init__(self, d_in=64, h=32, z=8):
        super().__init__()
        self.fc1 = nn.Linear(d_in, h)
        self.fc_mu = nn.Linear(h, z)
        self.fc_logvar = nn.Linear(h, z)
        self.fc3 = nn.Linear(z, h)
        self.fc4 = nn.Linear(h, d_in)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar, beta=1.0):
    bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce.item(), kld.item()


model = VAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
data = torch.rand(128, 64)

for epoch in range(3):
    for batch in data.split(32):
        optimizer.zero_grad()
        recon, mu, logvar = model(batch)
        bce, kld = loss_function(recon, batch, mu, logvar)
        beta = min(1.0, 0.1 * (epoch + 1))
        loss = torch.tensor(bce + beta * kld, requires_grad=True)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.2f}")
