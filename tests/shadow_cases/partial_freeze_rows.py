import torch
import torch.nn as nn

torch.manual_seed(0)


class Tagger(nn.Module):
    """The first rows of the embedding are pretrained and kept; the new rows train."""

    def __init__(self, kept=4, new=4, dim=8):
        super().__init__()
        self.kept = kept
        self.emb = nn.Embedding(kept + new, dim)
        self.out = nn.Linear(dim, 3)

    def forward(self, idx):
        w = torch.cat([self.emb.weight[: self.kept].detach(), self.emb.weight[self.kept:]])
        return self.out(nn.functional.embedding(idx, w))


model = Tagger()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
idx, y = torch.arange(8), torch.randint(0, 3, (8,))
for step in range(3):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(idx), y)
    loss.backward()
    opt.step()
