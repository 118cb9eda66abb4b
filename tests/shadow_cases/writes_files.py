# Writes to its working directory: that must be a temporary folder, not the user's tree.
import torch

with open("written_by_script.txt", "w") as fh:
    fh.write("hello")
import helper_module  # noqa: E402  a sibling import must work and leave no __pycache__

w = torch.randn(3, requires_grad=True)
helper_module.double(w).sum().backward()
