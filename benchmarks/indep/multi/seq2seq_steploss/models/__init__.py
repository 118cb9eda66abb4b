from .encoder import GRUEncoder
from .decoder import GRUDecoder

__all__ = ["GRUEncoder", "GRUDecoder"]
