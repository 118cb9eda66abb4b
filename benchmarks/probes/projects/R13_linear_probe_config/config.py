from dataclasses import dataclass


@dataclass
class ProbeConfig:
    num_classes: int = 4
    width: int = 16
    freeze_backbone: bool = True
    lr: float = 0.1
    head_lr_scale: float = 1.0
    epochs: int = 3
    batch_size: int = 16
