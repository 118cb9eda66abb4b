from .lm import MoETransformerLM

__all__ = ["MoETransformerLM"]
