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


def test_output_format_is_the_flag_and_format_a_hidden_alias(capsys):
    assert parse(["x.py", "--output-format", "json"]).format == "json"
    assert parse(["x.py", "--format", "json"]).format == "json"
    assert parse(["x.py"]).format == "text"
    parser = argparse.ArgumentParser(prog="gradls confirm")
    shadow_cli.add_arguments(parser)
    text = parser.format_help()
    assert "--output-format" in text and "--format" not in text.replace("--output-format", "")


def test_add_arguments_next_to_an_existing_output_format_option():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output-format", dest="output_format", choices=("text", "json", "sarif"),
                        default="text")
    shadow_cli.add_arguments(parser)
    assert parser.parse_args(["x.py", "--format", "sarif"]).output_format == "sarif"


def test_exit_codes_of_runs_that_did_not_finish(capsys):
    args = ["--device", "cpu", "--memory-limit", "1024", "--output-format", "json"]
    # a function that is not in the file: 2, like a missing file
    assert shadow_cli.run(parse([str(CASES / "function_case.py") + "::missing"] + args)) == 2
    assert json.loads(capsys.readouterr().out)["outcome"] == "not_found"
    # a run that times out: 3
    code = shadow_cli.run(parse([str(CASES / "infinite_loop.py"), "--timeout", "4"] + args))
    result = json.loads(capsys.readouterr().out)
    # on failure, show what the worker said (a busy machine once gave "crashed" here)
    assert (code, result["outcome"]) == (3, "timeout"), result


def test_exit_code_table():
    from gradls.shadow.compare import ShadowReport

    def code(outcome, statuses=()):
        report = ShadowReport(path="x.py", result={"outcome": outcome})
        report.items = [(None, {"status": s}) for s in statuses]
        return shadow_cli.exit_code(report)

    assert code("backward") == 0 and code("backward", ["refuted", "not_reached"]) == 0
    assert code("backward", ["confirmed"]) == 1 and code("exception", ["runtime_only"]) == 1
    assert code("error") == 2 and code("not_found") == 2
    for outcome in ("timeout", "killed", "crashed", "memory"):
        assert code(outcome, ["confirmed"]) == 3
