from .unet import TinyUNet
