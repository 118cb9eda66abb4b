from .unet import AttentionUNet
