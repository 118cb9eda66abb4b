"""Start the shadow worker with torch's CUDA initialisation entry points recorded.

Used by tests/test_shadow_cuda.py: every call of one of the functions below is appended
to the file named by GRADLS_CUDA_LOG as "parent NAME" (made by the worker process itself,
the one that forks every run) or "child NAME" (made in a forked run). A process that
initialised CUDA cannot fork a child that uses it, so the parent must never appear.
With GRADLS_CUDA_PARENT_CALL=1 the parent calls torch.cuda.is_available() first (the
bug the test guards against), to show the record catches it.
"""

import os
import sys

import torch
import torch.cuda

LOG = os.environ["GRADLS_CUDA_LOG"]
PARENT = os.getpid()
NAMES = ("is_available", "device_count", "init", "_lazy_init", "current_device",
         "get_device_properties", "get_device_name", "set_device", "synchronize",
         "mem_get_info", "memory_allocated")
C_NAMES = ("_cuda_init", "_cuda_getDeviceCount", "_cuda_setDevice", "_cuda_getDevice")


def _record(name, orig):
    def wrapper(*args, **kwargs):
        with open(LOG, "a") as fh:
            fh.write(f"{'parent' if os.getpid() == PARENT else 'child'} {name}\n")
        return orig(*args, **kwargs)
    return wrapper


for _name in NAMES:
    if hasattr(torch.cuda, _name):
        setattr(torch.cuda, _name, _record(f"torch.cuda.{_name}", getattr(torch.cuda, _name)))
for _name in C_NAMES:
    if hasattr(torch._C, _name):
        setattr(torch._C, _name, _record(f"torch._C.{_name}", getattr(torch._C, _name)))

if os.environ.get("GRADLS_CUDA_PARENT_CALL") == "1":
    torch.cuda.is_available()

from gradls.shadow.worker import main  # noqa: E402

sys.exit(main())
