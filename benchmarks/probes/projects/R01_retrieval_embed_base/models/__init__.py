from .classifier import ConvEmbedder


def build_model(num_classes, embed_dim=32, width=16):
    return ConvEmbedder(in_ch=3, width=width, embed_dim=embed_dim, num_classes=num_classes)
