import torch
import torch.nn as nn
import torch.nn.functional as F


class FeatureExtractorMixin:
    """Shared by the classifier and the retrieval model."""

    def extract_features(self, x):
        with torch.no_grad():
            feats = self.backbone(x)
        return F.normalize(feats.flatten(1), dim=1)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        return self.pool(x)


class DigitClassifier(FeatureExtractorMixin, nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.backbone = SmallCNN()
        self.head = nn.Linear(16 * 2 * 2, n_classes)

    def forward(self, x):
        return self.head(self.extract_features(x))


class RetrievalModel(FeatureExtractorMixin, nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, query, gallery):
        return self.extract_features(query) @ self.extract_features(gallery).t()


torch.manual_seed(0)
model = DigitClassifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
images = torch.randn(64, 1, 12, 12)
labels = torch.randint(0, 10, (64,))

model.train()
for epoch in range(4):
    for i in range(0, 64, 16):
        logits = model(images[i:i + 16])
        loss = F.cross_entropy(logits, labels[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")

retrieval = RetrievalModel(model.backbone)
sims = retrieval(images[:4], images[4:12])
print(sims.argmax(1))
