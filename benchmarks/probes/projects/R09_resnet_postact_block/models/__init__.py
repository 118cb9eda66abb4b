from .resnet import ResNet


def resnet_tiny(num_classes=10):
    return ResNet(depths=(1, 1), widths=(16, 32), num_classes=num_classes)
