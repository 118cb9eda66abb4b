from .simsiam import SimSiam
