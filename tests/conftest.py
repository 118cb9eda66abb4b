import os

# Rule bugs raise in tests instead of being reported and skipped (see gradls/engine.py).
os.environ.setdefault("GRADLS_STRICT", "1")
