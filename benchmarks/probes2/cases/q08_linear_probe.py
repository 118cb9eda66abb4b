"""Linear-probe evaluation of a self-supervised encoder: the encoder is frozen
and run under no_grad; only the linear classifier (and its BatchNorm) train."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ConvEncoder(nn.Module):
    def __init__(self, width=16, out_dim=64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, out_dim))

    def forward(self, x):
        return self.features(x)


class LinearProbe(nn.Module):
    def __init__(self, encoder, feat_dim, num_classes):
        super().__init__()
        self.encoder = encoder
        self.bn = nn.BatchNorm1d(feat_dim, affine=True)
        self.classifier = nn.Linear(feat_dim, num_classes)
        self.encoder.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        self.encoder.eval()  # keep frozen statistics
        return self

    def forward(self, x):
        with torch.no_grad():
            feats = self.encoder(x)
        return self.classifier(self.bn(feats))


def evaluate(model, x, y):
    model.eval()
    with torch.inference_mode():
        pred = model(x).argmax(dim=1)
    model.train()
    return (pred == y).float().mean().item()


encoder = ConvEncoder()
probe = LinearProbe(encoder, 64, 10)
trainable = [p for p in probe.parameters() if p.requires_grad]
optimizer = torch.optim.SGD(trainable, lr=0.1, momentum=0.9, weight_decay=0.0)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)

x_train, y_train = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
x_val, y_val = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))

probe.train()
curve = []
for epoch in range(10):
    for i in range(0, 64, 32):
        logits = probe(x_train[i:i + 32])
        loss = F.cross_entropy(logits, y_train[i:i + 32], label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    scheduler.step()
    curve.append((loss.item(), evaluate(probe, x_val, y_val)))
