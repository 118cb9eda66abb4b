import logging

logger = logging.getLogger(__name__)


def freeze_backbone(model, trainable_prefixes=("head",)):
    """Freeze every parameter except those of the newly added head."""
    frozen = 0
    for name, param in model.named_parameters():
        if name.startswith(trainable_prefixes):
            param.requires_grad_(False)
            frozen += param.numel()
    logger.info("froze %d parameters", frozen)
    return model


def count_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
