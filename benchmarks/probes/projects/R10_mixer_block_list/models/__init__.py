from .mixer import MLPMixer
