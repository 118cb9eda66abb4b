from .base import SequenceModel  # noqa: F401
from .transformer import CheckpointedTransformer  # noqa: F401
