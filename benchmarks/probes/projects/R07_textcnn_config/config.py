from dataclasses import dataclass, field
from typing import Tuple


@dataclass
class ModelConfig:
    vocab_size: int = 200
    embed_dim: int = 32
    kernel_sizes: Tuple[int, ...] = (2, 3, 4)
    num_filters: int = 16
    num_classes: int = 2
    dropout: float = 0.2
    padding_idx: int = 0
    static_embeddings: bool = True


@dataclass
class TrainConfig:
    lr: float = 1e-3
    batch_size: int = 16
    epochs: int = 3
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
