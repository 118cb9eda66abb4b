# Small transformer-ish text classifier. Following the BERT recipe I don't want
# weight decay on biases and LayerNorm weights.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Classifier(nn.Module):
    def __init__(self, vocab=100, d=32, n_cls=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.ff = nn.Sequential(nn.Linear(d, 64), nn.GELU(), nn.Linear(64, d))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, n_cls)

    def forward(self, ids):
        h = self.embed(ids)
        h = self.norm(h + self.ff(h))
        return self.head(h.mean(1))


model = Classifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)

no_decay = ["bias", "norm.weight"]
for name, param in model.named_parameters():
    if any(nd in name for nd in no_decay):
        param.requires_grad = False

ids = torch.randint(0, 100, (16, 12))
labels = torch.randint(0, 3, (16,))
loss_fn = nn.CrossEntropyLoss()
for step in range(5):
    optimizer.zero_grad()
    loss = loss_fn(model(ids), labels)
    loss.backward()
    optimizer.step()
    print(step, round(loss.item(), 4))
