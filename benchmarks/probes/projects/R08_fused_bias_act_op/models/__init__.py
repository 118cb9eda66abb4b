from .mapping import MappingNetwork, EqualLinear
