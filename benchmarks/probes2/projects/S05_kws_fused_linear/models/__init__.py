from .kws import KeywordSpotter

__all__ = ["KeywordSpotter"]
