from .convnet import SmallResNet


def build_model(num_classes=10, width=16):
    return SmallResNet(num_classes=num_classes, width=width)
