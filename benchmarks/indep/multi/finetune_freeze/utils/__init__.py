from .finetune import freeze_backbone, count_trainable

__all__ = ["freeze_backbone", "count_trainable"]
