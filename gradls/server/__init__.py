"""gradls language server (`gradls serve`).

Start it with ``serve()`` (stdio) or ``serve("127.0.0.1:2087")`` (TCP, for debugging),
or ``python -m gradls.server [--tcp HOST:PORT]``.
"""

from __future__ import annotations

import argparse


def serve(tcp: str | None = None) -> int:
    """Run the language server until the client disconnects; returns the exit code (1 when the
    client left without a `shutdown` request, as the LSP asks)."""
    from .server import start

    return start(tcp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradls serve", description="Run the gradls language server.")
    parser.add_argument("--stdio", action="store_true", help="communicate over stdin/stdout (default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead (debugging)")
    args = parser.parse_args(argv)
    return serve(args.tcp)


__all__ = ["serve", "main"]
