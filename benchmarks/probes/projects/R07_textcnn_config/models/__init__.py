from .textcnn import TextCNN


def build_model(cfg):
    return TextCNN(cfg)
