from .detector import TinyDetector

__all__ = ["TinyDetector"]
