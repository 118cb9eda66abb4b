# Autoencoder with an auxiliary classifier on the latent code. I call backward on each
# loss separately so I can log their gradient norms, and get
# "Trying to backward through the graph a second time".
import torch
import torch.nn as nn
import torch.nn.functional as F


class AuxAE(nn.Module):
    def __init__(self, d=32, z=8, n_cls=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, z))
        self.decoder = nn.Sequential(nn.Linear(z, 16), nn.ReLU(), nn.Linear(16, d))
        self.cls_head = nn.Linear(z, n_cls)

    def forward(self, x):
        z = self.encoder(x)
        return z, self.decoder(z), self.cls_head(z)


def grad_norm(module):
    norms = [p.grad.norm() for p in module.parameters() if p.grad is not None]
    return torch.stack(norms).norm().item() if norms else 0.0


class Trainer:
    def __init__(self, model, lr=1e-3, aux_weight=0.5):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.aux_weight = aux_weight

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        z, recon, logits = self.model(x)
        rec_loss = F.mse_loss(recon, x)
        rec_loss.backward()
        g_rec = grad_norm(self.model.encoder)
        cls_loss = self.aux_weight * F.cross_entropy(logits, y)
        cls_loss.backward()
        g_total = grad_norm(self.model.encoder)
        self.optimizer.step()
        return rec_loss.item(), cls_loss.item(), g_rec, g_total


if __name__ == "__main__":
    torch.manual_seed(0)
    trainer = Trainer(AuxAE())
    for step in range(5):
        x = torch.randn(16, 32)
        y = torch.randint(0, 4, (16,))
        print(step, trainer.train_step(x, y))
