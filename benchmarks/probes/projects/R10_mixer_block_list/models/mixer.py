import torch.nn as nn

from .layers import MixerBlock


class MLPMixer(nn.Module):
    def __init__(self, image_size=16, patch_size=4, dim=32, depth=2, num_classes=10,
                 token_hidden=16, channel_hidden=64):
        super().__init__()
        num_tokens = (image_size // patch_size) ** 2
        self.stem = nn.Conv2d(3, dim, patch_size, stride=patch_size)
        self.blocks = [MixerBlock(num_tokens, dim, token_hidden, channel_hidden) for _ in range(depth)]
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x).mean(dim=1))
