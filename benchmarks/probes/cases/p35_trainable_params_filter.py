import torch
import torch.nn as nn
import torch.nn.functional as F


class TextCNN(nn.Module):
    def __init__(self, vocab=60, emb=16, n_filters=8, kernel_sizes=(2, 3), n_classes=2, pretrained=None):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        if pretrained is not None:
            self.embedding.weight.data.copy_(pretrained)
            self.embedding.weight.requires_grad = False
        self.convs = nn.ModuleList([nn.Conv1d(emb, n_filters, k) for k in kernel_sizes])
        self.fc = nn.Linear(n_filters * len(kernel_sizes), n_classes)

    def forward(self, tokens):
        x = self.embedding(tokens).transpose(1, 2)
        pooled = [F.relu(conv(x)).max(dim=2)[0] for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))


torch.manual_seed(0)
glove = torch.randn(60, 16)
model = TextCNN(pretrained=glove)

trainable = filter(lambda p: p.requires_grad, model.parameters())
n_trainable = sum(p.numel() for p in trainable)
print(f"trainable parameters: {n_trainable}")
optimizer = torch.optim.Adam(trainable, lr=1e-3)

tokens = torch.randint(0, 60, (48, 10))
labels = torch.randint(0, 2, (48,))
for epoch in range(3):
    model.train()
    for i in range(0, 48, 16):
        logits = model(tokens[i:i + 16])
        loss = F.cross_entropy(logits, labels[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
