import torch
import torch.nn as nn


def load_pretrained(model, state_dict, skip=("fc.",)):
    filtered = {k: v for k, v in state_dict.items() if not k.startswith(skip)}
    missing, unexpected = model.load_state_dict(filtered, strict=False)
    return missing, unexpected


def prepare_for_finetune(model, num_classes, state_dict=None, freeze_backbone=True):
    """Load pretrained weights and replace the classifier for a new label set."""
    if state_dict is not None:
        load_pretrained(model, state_dict)
    model.fc = nn.Linear(model.feat_dim, num_classes)
    nn.init.zeros_(model.fc.bias)
    if freeze_backbone:
        for p in model.backbone.parameters():
            p.requires_grad_(False)
    return model


def accuracy(logits, target):
    return (logits.argmax(1) == target).float().mean().item()
