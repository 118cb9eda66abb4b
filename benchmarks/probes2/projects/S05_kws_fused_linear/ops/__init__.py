from .fused_linear import FusedLinear, linear_fn

__all__ = ["FusedLinear", "linear_fn"]
