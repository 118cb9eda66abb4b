"""Shadow forward/backward pass: run the user's code once under instrumentation and
confirm or refute each static finding (``gradls confirm FILE[::FUNCTION]``).

* :mod:`gradls.shadow.worker`: the worker process (JSON lines over stdio);
* :mod:`gradls.shadow.instrument`: the TorchFunctionMode-based recorder (imports torch);
* :mod:`gradls.shadow.client`: starts a worker (local or through any command), timeouts;
* :mod:`gradls.shadow.compare`: static findings + run-time observation -> verdicts;
* :mod:`gradls.shadow.cli`: ``add_arguments``/``run`` for the ``confirm`` subcommand.

Importing this package does not import torch; only the worker does.
"""
