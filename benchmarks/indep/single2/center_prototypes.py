# Few-shot style metric learner: classes are represented by prototype vectors kept as a
# buffer and updated by a momentum average of (detached) class-mean embeddings; logits are
# negative squared distances to the prototypes, plus a small center loss.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ProtoNet(nn.Module):
    def __init__(self, d_in=12, d_emb=16, n_classes=5, momentum=0.9):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, 32), nn.ReLU(), nn.Linear(32, d_emb))
        self.register_buffer("prototypes", torch.zeros(n_classes, d_emb))
        self.register_buffer("initialized", torch.zeros(n_classes, dtype=torch.bool))
        self.momentum = momentum

    def forward(self, x):
        return self.encoder(x)

    def logits(self, emb):
        return -torch.cdist(emb, self.prototypes).pow(2)

    @torch.no_grad()
    def update_prototypes(self, emb, y):
        for c in y.unique():
            mean_c = emb[y == c].mean(0)
            if self.initialized[c]:
                self.prototypes[c].mul_(self.momentum).add_((1 - self.momentum) * mean_c)
            else:
                self.prototypes[c] = mean_c
                self.initialized[c] = True


def train(model, episodes, optimizer, center_weight=0.1):
    for i, (x, y) in enumerate(episodes):
        emb = model(x)
        model.update_prototypes(emb.detach(), y)
        loss = F.cross_entropy(model.logits(emb), y)
        loss = loss + center_weight * (emb - model.prototypes[y]).pow(2).sum(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(i, loss.item())


if __name__ == "__main__":
    torch.manual_seed(0)
    model = ProtoNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    episodes = [(torch.randn(20, 12), torch.arange(5).repeat(4)) for _ in range(6)]
    train(model, episodes, optimizer)
