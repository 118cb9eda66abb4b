"""Start a shadow worker and talk to it.

``ShadowClient()`` starts ``python -m gradls.shadow.worker`` (or any shell command given
as ``worker=``, e.g. ``"ssh gpu-box python -m gradls.shadow.worker"``) in its own
process group (session), with a fresh temporary working directory and an address-space
limit (``RLIMIT_AS`` set in the child before exec). Requests have a wall-clock timeout;
when the worker does not answer in time the whole group is killed and a result with
outcome ``timeout`` is returned, never a hang. The client can be kept warm and reused
for many requests (the language server does that).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from ..model import Finding

DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_MB = 8192
# The worker's own headroom on top of the per-run limit (python + torch + CUDA libs).
_WORKER_HEADROOM_MB = 8192
_STARTUP_GRACE = 120.0


class WorkerError(RuntimeError):
    pass


def _limit_memory(limit_bytes: int | None):
    def preexec():  # runs in the child between fork and exec
        if not limit_bytes:
            return
        try:
            import resource

            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            value = limit_bytes if hard == resource.RLIM_INFINITY else min(limit_bytes, hard)
            resource.setrlimit(resource.RLIMIT_AS, (value, hard))
        except (ImportError, OSError, ValueError):
            pass

    return preexec


class ShadowClient:
    def __init__(self, worker: str | None = None, *, memory_mb: int | None = DEFAULT_MEMORY_MB,
                 startup_timeout: float = _STARTUP_GRACE, env: dict | None = None,
                 cuda: bool = False):
        self.worker = worker
        self.memory_mb = memory_mb
        self.startup_timeout = startup_timeout
        self.env = env
        self.cuda = cuda
        self.proc: subprocess.Popen | None = None
        self.cwd: str | None = None
        self._buf = b""
        self._next_id = 0
        self._lock = threading.Lock()
        self._stderr_file = None
        self.info: dict | None = None

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> dict:
        if self.alive():
            return self.info or {}
        self.close()
        self.cwd = tempfile.mkdtemp(prefix="gradls-worker-")
        env = dict(os.environ if self.env is None else self.env)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.setdefault("PYTHONUNBUFFERED", "1")
        if self.worker is None:
            # make sure the worker imports this gradls, wherever the temp cwd is
            pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
            cmd: list[str] | str = [sys.executable, "-m", "gradls.shadow.worker"]
            shell = False
        else:
            cmd, shell = self.worker, True
        limit = None
        if self.memory_mb and not self.cuda:
            limit = (int(self.memory_mb) + _WORKER_HEADROOM_MB) * 1024 * 1024
        self._stderr_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            cmd, shell=shell, cwd=self.cwd, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._stderr_file, start_new_session=True,
            preexec_fn=_limit_memory(limit) if os.name == "posix" else None, bufsize=0)
        self._buf = b""
        reply = self._call({"op": "ping"}, self.startup_timeout)
        if not reply.get("ok"):
            err = reply.get("error", "no reply")
            self.close()
            raise WorkerError(f"the worker did not start: {err}")
        self.info = reply
        return reply

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, OSError):
                pass
            try:
                self.proc.kill()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.stdin.write(b'{"op": "shutdown"}\n')
                    self.proc.stdin.flush()
                    self.proc.wait(timeout=0.5)
                except (OSError, subprocess.TimeoutExpired, ValueError):
                    pass
            self.kill()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except Exception:
                    pass
            self.proc = None
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None
        if self.cwd:
            shutil.rmtree(self.cwd, ignore_errors=True)
            self.cwd = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def stderr_tail(self, limit: int = 4000) -> str:
        f = self._stderr_file
        if f is None:
            return ""
        try:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    # --- protocol ------------------------------------------------------------------

    def _call(self, req: dict, timeout: float) -> dict:
        with self._lock:
            self._next_id += 1
            req = {**req, "id": self._next_id}
            proc = self.proc
            if proc is None:
                return {"ok": False, "error": "the worker is not running", "dead": True}
            if proc.poll() is not None:
                tail = self.stderr_tail(800).strip()
                return {"ok": False, "dead": True,
                        "error": f"the worker exited with code {proc.returncode}" + (f": {tail}" if tail else "")}
            try:
                proc.stdin.write((json.dumps(req) + "\n").encode())
                proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                return {"ok": False, "error": f"the worker's stdin is closed: {exc}; "
                        + self.stderr_tail(800), "dead": True}
            deadline = time.monotonic() + timeout
            fd = proc.stdout.fileno()
            while True:
                while b"\n" in self._buf:
                    line, self._buf = self._buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    try:
                        reply = json.loads(line)
                    except ValueError:
                        continue  # noise on stdout from a wrapper (ssh banner, ...)
                    if reply.get("id") == req["id"]:
                        return reply
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    return {"ok": False, "error": f"no answer from the worker in {timeout:g} s; "
                            "its process group was killed", "timeout": True, "dead": True}
                ready, _, _ = select.select([fd], [], [], min(left, 0.5))
                if ready:
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        code = proc.wait()
                        return {"ok": False, "dead": True,
                                "error": f"the worker exited (code {code}): " + self.stderr_tail(1500)}
                    self._buf += chunk

    def ping(self, timeout: float = 30.0) -> dict:
        return self._call({"op": "ping"}, timeout)

    def run(self, path: str, *, source: str | None = None, function: str | None = None,
            device: str = "auto", timeout: float = DEFAULT_TIMEOUT,
            memory_mb: int | None = None, watch: dict | None = None, argv=None,
            seed: int | None = 0, probes: list[int] | None = None) -> dict:
        """Run one target; always returns a result dict (outcome + observation or message)."""
        if source is None:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
        try:
            self.start()
        except (WorkerError, OSError) as exc:
            return {"outcome": "error", "message": str(exc), "observation": None}
        req = {"op": "run", "path": os.path.abspath(path), "source": source, "function": function,
               "device": device, "timeout": timeout,
               "memory_mb": self.memory_mb if memory_mb is None else memory_mb,
               "watch": watch or {}, "probes": list(probes or []), "argv": list(argv or []),
               "seed": seed}
        started = time.perf_counter()
        # the worker enforces `timeout` itself; ours is the safety net around it
        reply = self._call(req, timeout + 15.0)
        elapsed = time.perf_counter() - started
        if reply.get("ok"):
            result = reply["result"]
            result.setdefault("wall_s", round(elapsed, 3))
            return result
        if reply.get("timeout"):
            return {"outcome": "timeout", "message": reply["error"], "observation": None,
                    "wall_s": round(elapsed, 3)}
        if reply.get("dead"):
            self.close()
        return {"outcome": "error", "message": reply.get("error", "worker error"),
                "observation": None, "wall_s": round(elapsed, 3)}


def static_findings(path: str, source: str, settings=None, *, root=None,
                    open_texts: dict[str, str] | None = None) -> tuple[list[Finding], str | None]:
    """The findings `gradls check PATH` reports, cross-module ones included (a break in a
    file the script imports is a finding of that file); the target's own findings carry
    `path` as given. Falls back to the file alone when the project pass fails.

    `root`: the project's root (default: the folder of the nearest pyproject.toml, else the
    working directory, as `gradls check`). `open_texts` (path -> text): an editor's buffers,
    read instead of those files on disk (the language server passes its open documents).
    When every text is the one on disk this is `gradls check PATH`'s own pass; otherwise the
    same pass over the unsaved texts: the script typed across the project, then the breaks it
    reaches in other files, each checked from its text (buffer or disk)."""
    from dataclasses import replace
    from pathlib import Path

    from ..engine import check_source

    try:
        from ..cache import ResultCache
        from ..checker import check_paths
        from ..config import Settings, find_pyproject
        from ..crossmodule import resolver_for
        from ..rules import SYNTAX_ERROR_CODE

        target = Path(path).resolve()
        if root is None:
            pyproject = find_pyproject(target.parent)
            root = pyproject.parent if pyproject else Path.cwd()
        cfg = settings if settings is not None else Settings()
        overlay = {os.path.abspath(p): t for p, t in (open_texts or {}).items()
                   if isinstance(p, str) and isinstance(t, str) and os.path.isabs(p)}
        overlay[str(target)] = source
        resolver = resolver_for(Path(root), None, overlay)
        if all(_disk_text(p) == t for p, t in overlay.items()):
            run = check_paths([target], cfg, Path(root), ResultCache(None, cfg), resolver)
            found = [f for f in run.findings if f.code != SYNTAX_ERROR_CODE
                     or not f.message.startswith("could not check")]
        else:  # an editor's unsaved texts: these texts, typed across the project
            found = check_source(source, path, cfg, resolver=resolver)
            found += _root_causes_elsewhere(resolver, str(target), overlay, cfg)
        out = []
        for f in found:
            same = f.path == path or os.path.abspath(f.path) == str(target)
            out.append(replace(f, path=path) if same and f.path != path else f)
        return out, None
    except Exception:
        try:
            return check_source(source, path, settings), None
        except Exception as exc:  # NotImplementedError while the engine is being written
            return [], f"{type(exc).__name__}: {exc}"


def _disk_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return None


def _root_causes_elsewhere(resolver, target: str, overlay: dict[str, str], settings) -> list[Finding]:
    """What `gradls check` adds for a training script (gradls/checker.py `_root_causes_outside`):
    the breaks it reaches in other files, in those files, checked from their buffer or disk."""
    from ..engine import check_source

    out: list[Finding] = []
    for other in resolver.confirmed_files(target):
        other = os.path.abspath(other)
        if other == target:
            continue
        text = overlay.get(other)
        if text is None:
            text = _disk_text(other)
        if text is None:
            continue
        out.extend(f for f in check_source(text, other, settings, resolver=resolver)
                   if any(r.path for r in f.related))
    return out


def confirm(path: str, *, function: str | None = None, source: str | None = None,
            findings: list[Finding] | None = None, device: str = "auto",
            timeout: float = DEFAULT_TIMEOUT, memory_mb: int | None = None,
            worker: str | None = None, client: ShadowClient | None = None, settings=None):
    """Static findings + one shadow run -> a :class:`ShadowReport`.

    With ``findings=None`` the static pass (``gradls.engine.check_source``) is run first.
    Pass a warm ``client`` to reuse a worker across calls (it is left running).
    """
    from .compare import compare, probes_for, watch_for

    if source is None:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
    static_error = None
    if findings is None:
        findings, static_error = static_findings(path, source, settings)
    own_findings = [f for f in findings if f.path == path or not os.path.isfile(f.path)
                    or os.path.abspath(f.path) == os.path.abspath(path)]
    own = client is None
    if own:
        # a run that may use CUDA ("auto" too) must not start under an address-space
        # limit (it breaks the CUDA driver); a CPU run's child sets its own limit
        client = ShadowClient(worker, memory_mb=DEFAULT_MEMORY_MB if memory_mb is None else memory_mb,
                              cuda=(device != "cpu"))
    try:
        result = client.run(path, source=source, function=function, device=device,
                            timeout=timeout, memory_mb=memory_mb,
                            watch=watch_for(own_findings, source),
                            probes=probes_for(own_findings, source))
    finally:
        if own:
            client.close()
    return compare(findings, result, source, path, static_error=static_error)
