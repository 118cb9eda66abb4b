"""`gradls confirm` as the CLI owner wires it: add_arguments(parser) + run(args)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gradls.shadow import cli as shadow_cli

CASES = Path(__file__).with_name("shadow_cases")


def parse(argv):
    parser = argparse.ArgumentParser(prog="gradls confirm")
    shadow_cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_arguments_and_target_split():
    args = parse(["train.py::step", "--device", "cpu", "--timeout", "5", "--memory-limit", "512",
                  "--worker", "ssh box python -m gradls.shadow.worker", "--format", "json"])
    assert shadow_cli.split_target(args.target) == ("train.py", "step")
    assert shadow_cli.split_target("train.py") == ("train.py", None)
    assert (args.device, args.timeout, args.memory_limit, args.format) == ("cpu", 5.0, 512, "json")
    assert args.worker.startswith("ssh box")


def test_add_arguments_keeps_an_existing_format_option():
    parser = argparse.ArgumentParser()
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    shadow_cli.add_arguments(parser)  # must not raise a conflict
    assert parser.parse_args(["x.py", "--format", "sarif"]).format == "sarif"


def test_missing_file_exits_2(capsys):
    assert shadow_cli.run(parse([str(CASES / "nope.py")])) == 2
    assert "no such file" in capsys.readouterr().err


def test_json_and_text_output(capsys):
    # static findings come from gradls.engine; the detach at line 11 is real
    code = shadow_cli.run(parse([str(CASES / "detach_real.py"), "--format", "json", "--device", "cpu",
                                 "--memory-limit", "1024"]))
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "backward" and data["device"] == "cpu"
    by_line = {(f["code"], f["line"]): f["shadow"]["status"] for f in data["findings"]}
    assert by_line.get(("GRD101", 11)) in ("confirmed", "runtime_only"), data["findings"]
    assert code == 1
    for f in data["findings"]:
        assert {"path", "line", "column", "code", "message", "severity", "fix", "shadow"} <= set(f)
    code = shadow_cli.run(parse([str(CASES / "no_backward.py"), "--device", "cpu"]))
    out = capsys.readouterr().out
    assert code == 0
    assert "finished_without_backward" in out and "0 confirmed" in out
