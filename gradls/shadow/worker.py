"""The shadow-pass worker: ``python -m gradls.shadow.worker``.

Speaks JSON lines over stdio. One request per line, one response per line, in order::

    {"id": 1, "op": "ping"}
    {"id": 2, "op": "run", "path": "/abs/train.py", "source": "...", "function": null,
     "device": "auto", "timeout": 60, "memory_mb": 4096, "watch": {"12": ["w"]}}
    {"id": 3, "op": "shutdown"}

The worker imports torch once and stays warm; every ``run`` happens in a forked child
(its own process group, its own fresh temporary working directory, stdin from
/dev/null, stdout/stderr captured to a file, an address-space limit) so that no state
leaks between requests and the whole group can be killed on timeout. Where ``fork`` is
missing the child is a fresh ``python -m gradls.shadow.worker --child`` subprocess.

The protocol is independent of where the worker runs: a client may start it through
``ssh``, ``srun``, ``kubectl exec`` ... The request carries the file's source; when the
path does not exist on the worker's machine (or its content differs) the source is
written to the child's temporary directory and run from there.
"""

from __future__ import annotations

import faulthandler
import json
import mmap
import os
import re
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback

PROTOCOL = 1
_OUTPUT_TAIL = 4000


def _send(stream, obj) -> None:
    stream.write((json.dumps(obj) + "\n").encode())
    stream.flush()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child_subprocess_main()
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # The protocol owns the original stdout; anything else printed goes to stderr.
    proto = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    started = time.perf_counter()
    # The parent forks every run, and CUDA cannot be used in a child forked after the
    # driver was initialised: this process never touches CUDA itself (the child decides
    # whether to use it), and any availability check torch makes while importing goes
    # through NVML, which does not initialise the driver.
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import torch  # noqa: F401  warm: every child inherits the import

    _warm_up()
    import_s = time.perf_counter() - started
    for raw in sys.stdin.buffer:
        raw = raw.strip()
        if not raw:
            continue
        try:
            req = json.loads(raw)
        except ValueError as exc:
            _send(proto, {"id": None, "ok": False, "error": f"bad request: {exc}"})
            continue
        op = req.get("op", "run")
        rid = req.get("id")
        if op == "ping":
            _send(proto, {"id": rid, "ok": True, "protocol": PROTOCOL, "pid": os.getpid(),
                          "torch": torch.__version__, "python": sys.version.split()[0],
                          "import_s": round(import_s, 3)})
        elif op == "shutdown":
            _send(proto, {"id": rid, "ok": True})
            sys.stderr.flush()
            os._exit(0)  # skip torch's slow interpreter teardown
        elif op == "run":
            try:
                result = run_request(req)
                _send(proto, {"id": rid, "ok": True, "result": result})
            except Exception as exc:  # a bug in the worker, not in the user's code
                _send(proto, {"id": rid, "ok": False,
                              "error": f"worker error: {type(exc).__name__}: {exc}",
                              "traceback": traceback.format_exc()})
        else:
            _send(proto, {"id": rid, "ok": False, "error": f"unknown op {op!r}"})
    return 0


def _warm_up() -> None:
    """Import what a typical training script pulls in lazily (the optimizer imports
    torch._dynamo: seconds), using tensors too small to start any thread pool, so that
    every forked child starts warm."""
    try:
        import torch
        import torch._dynamo  # noqa: F401
        import torch.nn.functional  # noqa: F401

        from . import instrument  # noqa: F401

        lin = torch.nn.Linear(2, 2)
        opt = torch.optim.SGD(lin.parameters(), lr=0.1)
        lin(torch.ones(1, 2)).sum().backward()
        opt.step()
        opt.zero_grad()
        torch.optim.Adam(lin.parameters())
    except Exception:  # pragma: no cover - warming is best effort
        pass


# --- parent side ---------------------------------------------------------------------


def run_request(req: dict) -> dict:
    timeout = float(req.get("timeout") or 60)
    rundir = tempfile.mkdtemp(prefix="gradls-shadow-")
    shm = mmap.mmap(-1, 16)
    started = time.perf_counter()
    try:
        if hasattr(os, "fork") and not (req.get("device") != "cpu" and _parent_cuda_initialized()):
            result = _run_forked(req, rundir, shm, timeout)
        else:  # pragma: no cover - Windows
            result = _run_subprocess(req, rundir, timeout)
        result["wall_s"] = round(time.perf_counter() - started, 3)
        return result
    finally:
        shm.close()
        shutil.rmtree(rundir, ignore_errors=True)


def _parent_cuda_initialized() -> bool:
    """Whether this (forking) process has initialised CUDA: then a run that may use CUDA
    gets a freshly started process instead of a fork. ``is_initialized`` reads torch's
    own flag; it initialises nothing."""
    cuda = sys.modules.get("torch.cuda")
    try:
        return bool(cuda is not None and cuda.is_initialized())
    except Exception:
        return False


def _run_forked(req: dict, rundir: str, shm, timeout: float) -> dict:
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            os.setpgid(0, 0)
            result = child_run(req, rundir, shm)
            data = json.dumps(result, default=str).encode()
            view = memoryview(data)
            while view:
                n = os.write(write_fd, view)
                view = view[n:]
        except BaseException:  # noqa: BLE001
            code = 70
            try:
                os.write(2, traceback.format_exc().encode())
            except Exception:
                pass
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child already did it (or already exited)
    chunks = []
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read_fd)
    leftovers = _group_members(pid)
    _kill_group(pid)
    status = _reap(pid)
    last_line = struct.unpack_from("q", shm, 0)[0] or None
    output = _tail(os.path.join(rundir, "output.txt"))
    if timed_out:
        last_line = last_line or _line_in_stack(os.path.join(rundir, STACK_FILE), req, rundir)
        where = (f", at line {last_line}" if last_line
                 else f", before the script's first line (worker phase: {_phase_reached(shm)})")
        return _failed("timeout", f"still running after {timeout:g} s" + where
                       + " (infinite loop or too slow); the process group was killed",
                       last_line=last_line, output=output, leftovers=leftovers,
                       stack=_tail(os.path.join(rundir, STACK_FILE)))
    if chunks:
        try:
            result = json.loads(b"".join(chunks))
        except ValueError:
            result = None
        if isinstance(result, dict):
            others = [p for p in leftovers if p != pid]
            if others:
                result.setdefault("notes", []).append(
                    f"the script left {len(others)} process(es) running; they were killed")
            return result
    how = _describe_status(status)
    if status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        message = f"the run was killed ({how}); out of memory?"
        return _failed("killed", message, last_line=last_line, output=output, leftovers=leftovers)
    return _failed("crashed", f"the run ended without a result ({how}); os._exit or a crash "
                   "in native code", last_line=last_line, output=output, leftovers=leftovers)


def _run_subprocess(req: dict, rundir: str, timeout: float) -> dict:
    """A run in a freshly started ``python -m gradls.shadow.worker --child`` (no fork)."""
    import subprocess

    req_path = os.path.join(rundir, "request.json")
    with open(req_path, "w") as fh:
        json.dump(req, fh)
    proc = subprocess.Popen([sys.executable, "-m", "gradls.shadow.worker", "--child", req_path,
                             rundir], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            cwd=rundir, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout + 30.0)  # + the fresh process's torch import
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.kill()
        proc.communicate()
        return _failed("timeout", f"still running after {timeout:g} s; killed")
    try:
        return json.loads(out)
    except ValueError:
        return _failed("crashed", f"the run ended without a result (exit {proc.returncode})")


def _child_subprocess_main() -> int:
    """A run in a fresh process: where fork is missing, or when the forking parent has
    initialised CUDA."""
    req_path, rundir = sys.argv[2], sys.argv[3]
    with open(req_path) as fh:
        req = json.load(fh)
    _warm_up()  # the same state as a child forked from the warm worker
    proto = os.fdopen(os.dup(1), "w")
    result = child_run(req, rundir, None)
    proto.write(json.dumps(result, default=str))
    proto.flush()
    return 0


def _failed(outcome: str, message: str, **extra) -> dict:
    result = {"outcome": outcome, "message": message, "device": None, "observation": None}
    if extra.get("last_line"):
        result["last_line"] = extra["last_line"]
    if extra.get("output"):
        result["output_tail"] = extra["output"]
    if extra.get("stack"):
        result["stack"] = extra["stack"]  # the Python stack dumped just before a timeout
    leftovers = extra.get("leftovers") or []
    if len(leftovers) > 1:
        result["notes"] = [f"the run had {len(leftovers) - 1} extra process(es); killed"]
    return result


def _group_members(pgid: int) -> list[int]:
    members = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry))
    return members


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int):
    for _ in range(200):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return status
        time.sleep(0.01)
    try:
        os.kill(pid, signal.SIGKILL)
        return os.waitpid(pid, 0)[1]
    except (ChildProcessError, ProcessLookupError):
        return None


def _describe_status(status) -> str:
    if status is None:
        return "status unknown"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            return f"signal {signal.Signals(sig).name}"
        except ValueError:
            return f"signal {sig}"
    return f"exit code {os.WEXITSTATUS(status)}"


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _OUTPUT_TAIL))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


# --- child side ----------------------------------------------------------------------


def _set_memory_limit(memory_mb: int | None) -> str | None:
    if not memory_mb:
        return None
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ImportError, ValueError):
        current = 0
    try:
        import resource

        limit = current + int(memory_mb) * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        return f"address space limited to {memory_mb} MiB above the worker's {current >> 20} MiB"
    except (OSError, ValueError, ImportError) as exc:
        return f"memory limit not set: {exc}"


def _resolve_target(req: dict, rundir: str) -> tuple[str, bool]:
    path = req.get("path") or "<stdin>"
    source = req.get("source")
    if os.path.isfile(path):
        real = os.path.realpath(path)
        if source is None:
            return real, False
        try:
            with open(real, encoding="utf-8") as fh:
                if fh.read() == source:
                    return real, False
        except (OSError, UnicodeDecodeError):
            pass
    if source is None:
        raise FileNotFoundError(path)
    srcdir = os.path.join(rundir, "src")
    os.makedirs(srcdir, exist_ok=True)
    name = os.path.basename(path) or "script.py"
    if not name.endswith(".py"):
        name += ".py"
    copy = os.path.join(srcdir, name)
    with open(copy, "w", encoding="utf-8") as fh:
        fh.write(source)
    return os.path.realpath(copy), True


# Just before the timeout the child dumps its Python stack here (faulthandler, a C watchdog
# thread: it fires even when the line tracer could not record anything).
STACK_FILE = "stack.txt"
_STACK_LEAD = 0.8  # fraction of the timeout after which the stack is dumped
_STACK_FRAME = re.compile(r'File "(.+)", line (\d+)')


def _line_in_stack(stack_path: str, req: dict, rundir: str) -> int | None:
    """The innermost line of the user's script in the dumped stack."""
    try:
        with open(stack_path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    script = os.path.realpath(req.get("path") or "")
    for filename, line in _STACK_FRAME.findall(text):  # innermost frame first
        if os.path.realpath(filename) == script or filename.startswith(os.path.join(rundir, "src")):
            return int(line)
    return None


# How far the child got before the script's first line, for a timeout that hits earlier.
_PHASES = ("forked", "started", "imported", "tracing")


def _mark_phase(shm, phase: str) -> None:
    if shm is not None:
        struct.pack_into("q", shm, 8, _PHASES.index(phase))


def _phase_reached(shm) -> str:
    index = struct.unpack_from("q", shm, 8)[0]
    return _PHASES[index] if 0 <= index < len(_PHASES) else "forked"


def _dump_stack_before_timeout(req: dict, rundir: str) -> None:
    timeout = float(req.get("timeout") or 60)
    stack_fd = os.open(os.path.join(rundir, STACK_FILE), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    faulthandler.dump_traceback_later(max(0.2, timeout * _STACK_LEAD), file=stack_fd)


def child_run(req: dict, rundir: str, shm) -> dict:
    """Run the target under instrumentation, in this (already isolated) process."""
    started = time.perf_counter()
    _mark_phase(shm, "started")
    _dump_stack_before_timeout(req, rundir)
    os.chdir(rundir)
    out_path = os.path.join(rundir, "output.txt")
    out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    sys.stdin = open(0, "r", closefd=False)
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    notes: list[str] = []

    import threading

    import torch

    from .instrument import Recorder, ShadowStop

    _mark_phase(shm, "imported")
    target, copied = _resolve_target(req, rundir)
    if copied:
        notes.append("the file was not found on the worker's machine (or differs); "
                      "ran the sent source from a temporary copy")
    device = req.get("device") or "auto"
    cuda_ok = False
    if device in ("auto", "cuda"):
        try:
            cuda_ok = torch.cuda.is_available()
        except Exception:
            cuda_ok = False
    if device == "cuda" and not cuda_ok:
        return {"outcome": "error", "message": "--device cuda: CUDA is not available on the "
                "worker's machine", "device": "cuda", "observation": None,
                "wall_s": 0.0}
    use_cuda = cuda_ok and device in ("auto", "cuda")
    if use_cuda:
        torch.set_default_device("cuda")
        notes.append("CUDA: memory limit not applied (RLIMIT_AS breaks the CUDA driver)")
    else:
        note = _set_memory_limit(req.get("memory_mb"))
        if note:
            notes.append(note)
    if req.get("seed") is not None:
        torch.manual_seed(int(req["seed"]))

    sys.argv = [target] + list(req.get("argv") or [])
    sys.path.insert(0, os.path.dirname(target))
    original = os.path.dirname(os.path.abspath(req.get("path") or ""))
    if copied and req.get("path") and os.path.isdir(original):
        # an unsaved buffer runs from a copy: its imports of the project still come from its folder
        sys.path.insert(1, original)
    watch = {int(k): v for k, v in (req.get("watch") or {}).items()}
    timeout = float(req.get("timeout") or 60)
    rec = Recorder(target, watch=watch, cuda=use_cuda, shm=shm, probes=req.get("probes"),
                   deadline=time.monotonic() + 0.5 * timeout)
    threads_before = set(threading.enumerate())
    outcome = "finished_without_backward"
    message = "the script finished without calling backward"
    error = None
    function = req.get("function")
    ran_backward_ourselves = False
    namespace = None
    import warnings

    caught = warnings.catch_warnings(record=True)
    seen_warnings = caught.__enter__()
    try:
        import runpy

        rec.install()
        _mark_phase(shm, "tracing")
        try:
            if function:
                namespace = runpy.run_path(target, run_name="__gradls_shadow__")
                fn = namespace.get(function.split(".")[0])
                for part in function.split(".")[1:]:
                    fn = getattr(fn, part, None)
                if fn is None or not callable(fn):
                    raise _NotFound(f"no function {function!r} in {os.path.basename(target)}")
                rec.extra_namespace = namespace
                value = fn()
                if rec.backward is None and isinstance(value, torch.Tensor) and value.requires_grad:
                    ran_backward_ourselves = True
                    root = value if value.dim() == 0 else value.sum()
                    rec.after_backward = False
                    try:
                        root.backward()
                    except ShadowStop:
                        pass
                    message = (f"{function}() returned a tensor without calling backward; "
                               "the worker called backward on it")
                elif rec.backward is None:
                    message = f"{function}() returned without calling backward"
            else:
                namespace = runpy.run_path(target, run_name="__main__")
        finally:
            rec.uninstall()
    except ShadowStop:
        pass
    except _NotFound as exc:
        outcome = "not_found"
        message = str(exc)
    except SystemExit as exc:
        outcome = "exit"
        code = exc.code
        message = f"the script called sys.exit({code!r})"
        error = _error_info(exc, target)
        if error.get("line"):
            message += f" at line {error['line']}"
    except MemoryError as exc:
        outcome = "memory"
        error = _error_info(exc, target)
        message = "out of memory (the memory limit was reached)"
    except BaseException as exc:  # noqa: BLE001 - the user's error is the observation
        outcome = "exception"
        error = _error_info(exc, target)
        text = error["message"].lower()
        if "can't allocate memory" in text or "out of memory" in text:
            outcome = "memory"
        message = f"{error['type']}: {error['message']}"
        if error.get("line"):
            message = f"line {error['line']}: {message}"
    caught.__exit__(None, None, None)
    rec.final_snapshot(namespace if namespace is not None else rec.extra_namespace)
    warned = _warnings_of(seen_warnings, target)
    if rec.backward is not None:
        bw = rec.backward
        if bw["error"] is not None:
            outcome = "backward_error"
            message = (f"backward at line {bw['line']} raised {bw['error']['type']}: "
                       f"{bw['error']['message']}")
        else:
            later = f"; afterwards {message}" if outcome in ("exception", "exit", "memory") else ""
            outcome = "backward"
            if ran_backward_ourselves:
                message = f"{function}() returned a tensor; the worker called backward on it"
            else:
                message = f"ran to backward at line {bw['line']}" + (
                    f"; stopped: {rec.stop_reason}" if rec.stop_reason else
                    "; the script then ended") + later
    extra_threads = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    if extra_threads:
        notes.append(f"the script started {len(extra_threads)} thread(s) still running at the "
                     "end; they were stopped with the process (ops in other threads are not "
                     "instrumented)")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    obs = rec.observation()
    obs["notes"] = obs.get("notes", []) + notes
    obs["warnings"] = warned
    return {
        "outcome": outcome,
        "message": message,
        "error": error,
        "device": "cuda" if use_cuda else "cpu",
        "target": target,
        "observation": obs,
        "output_tail": _tail(out_path),
        "child_s": round(time.perf_counter() - started, 3),
    }


_NONLEAF_GRAD = "not a leaf Tensor is being accessed"


def _warnings_of(caught, target: str) -> list[dict]:
    """The warnings the run issued (shown on stderr too, as they would have been)."""
    out = []
    for w in caught[:200]:
        text = str(w.message)
        try:
            print(f"{w.filename}:{w.lineno}: {w.category.__name__}: {text}", file=sys.stderr)
        except Exception:
            pass
        if _NONLEAF_GRAD in text and len(out) < 20:
            out.append({"kind": "nonleaf_grad", "line": w.lineno if w.filename == target else None,
                        "where": f"{w.filename}:{w.lineno}", "message": text.splitlines()[0][:300]})
    return out


class _NotFound(LookupError):
    """FILE::FUNCTION names nothing callable in the file."""


def _raised_by_torch(exc: BaseException) -> bool:
    """Whether torch raised it: the innermost frame is torch's own code, or the shadow
    pass's hook around a torch call (a C function of torch raises from there)."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    if last is None:
        return False
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.dirname(os.path.abspath(last)) == here:
        return True
    try:
        import torch

        root = os.path.dirname(os.path.abspath(torch.__file__))
    except Exception:
        return False
    return os.path.abspath(last).startswith(root + os.sep)


def _error_info(exc: BaseException, target: str) -> dict:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    info = {"type": type(exc).__name__, "message": str(exc).strip()[:2000], "line": line,
            "from_torch": _raised_by_torch(exc)}
    taint = getattr(exc, "__gradls_taint__", None)
    if taint:
        info["taint"] = list(taint)
    return info


if __name__ == "__main__":
    raise SystemExit(main())
