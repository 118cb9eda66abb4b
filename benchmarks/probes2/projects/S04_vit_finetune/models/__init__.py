"""timm-like model factory."""
import torch
import torch.nn as nn

from .vit import VisionTransformer

_MODEL_CFGS = {
    "vit_micro_patch4": dict(img_size=16, patch_size=4, embed_dim=32, depth=2, num_heads=4, num_classes=100),
}


@torch.no_grad()
def _load_pretrained(model, seed=1234):
    """Stand-in for loading an upstream checkpoint: a fixed deterministic state."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            m.weight.fill_(1.0)
            m.bias.zero_()
    for name, p in model.named_parameters():
        if "norm" not in name:
            p.copy_(torch.randn(p.shape, generator=gen) * 0.02)
    return model


def create_model(name, pretrained=False, **overrides):
    cfg = dict(_MODEL_CFGS[name])
    cfg.update(overrides)
    model = VisionTransformer(**cfg)
    if pretrained:
        _load_pretrained(model)
    return model
