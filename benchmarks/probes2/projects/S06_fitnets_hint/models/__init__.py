from .convnets import ConvNet, build_student, build_teacher

__all__ = ["ConvNet", "build_student", "build_teacher"]
