import torch
import torch.nn as nn
import torch.nn.functional as F


class EmbeddingModel(nn.Module):
    """Common interface for models that expose an L2-normalised embedding.

    Subclasses implement ``encode`` (image -> feature) and ``classify``
    (embedding -> logits).
    """

    def encode(self, x):
        raise NotImplementedError

    def classify(self, z):
        raise NotImplementedError

    def embed(self, x, normalize=True):
        with torch.no_grad():
            z = self.encode(x)
        if normalize:
            z = F.normalize(z, dim=-1)
        return z

    def forward(self, x):
        z = self.embed(x)
        return self.classify(z)

    @torch.no_grad()
    def build_index(self, images, batch_size=32):
        was_training = self.training
        self.eval()
        chunks = [self.embed(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
        self.train(was_training)
        return torch.cat(chunks)
