from .dann import DANN
