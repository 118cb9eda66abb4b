"""The cross-module pass on the multi-file fixture projects under fixtures/projects/.

Each project (a model module, a loss or helper module, a training script `train.py`) is
EXECUTED through tests/execution_label.py with its own folder as cwd and on sys.path, and
must show the label its training script declares. Then `gradls check` on the project must
report exactly the `# expect:` markers of all its files with the cross-module pass, and
none of the cross-file ones without it (they can only be seen across files).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gradls.cli import main

REPO = Path(__file__).resolve().parent.parent
PROJECTS = sorted(p for p in (REPO / "fixtures" / "projects").iterdir() if (p / "train.py").is_file())

_spec = importlib.util.spec_from_file_location("execution_label", Path(__file__).with_name("execution_label.py"))
execution_label = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("execution_label", execution_label)
_spec.loader.exec_module(execution_label)


def observe_project(project: Path) -> dict:
    """Run the project's train.py as `python train.py` would: its folder is cwd and sys.path[0]."""
    script = str(project / "train.py")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "obs.json"
        env = {**execution_label._child_env(), "PYTHONPATH": str(project)}
        proc = subprocess.run([sys.executable, str(execution_label.HERE), "--batch", str(out), script],
                              cwd=project, env=env, capture_output=True, text=True,
                              timeout=execution_label.TIMEOUT_S + 60)
        assert out.exists(), proc.stderr[-2000:]
        return json.loads(out.read_text())[script]


@pytest.fixture(scope="module")
def observations() -> dict[str, dict]:
    with ThreadPoolExecutor(2) as pool:
        return dict(zip([p.name for p in PROJECTS], pool.map(observe_project, PROJECTS)))


def expected(project: Path) -> set[tuple[str, str, int]]:
    out = set()
    for path in sorted(project.rglob("*.py")):
        for code, line in execution_label.parse_expect(path.read_text()):
            out.add((path.relative_to(project).as_posix(), code, line))
    return out


def reported(project: Path, capsys, *flags: str) -> set[tuple[str, str, int]]:
    code = main(["check", "--no-cache", "--output-format", "json", "--exit-zero", *flags, str(project)])
    assert code == 0
    findings = json.loads(capsys.readouterr().out or "[]")
    return {(Path(f["path"]).resolve().relative_to(project).as_posix(), f["code"], f["line"]) for f in findings}


def test_there_are_positive_and_negative_projects():
    labels = [execution_label.parse_header((p / "train.py").read_text())["label"] for p in PROJECTS]
    assert labels.count("positive") >= 4 and labels.count("negative") >= 4


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_label_holds_when_executed(project: Path, observations):
    header = execution_label.parse_header((project / "train.py").read_text())
    problems = execution_label.check_fixture(header, observations[project.name])
    assert not problems, problems


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_cross_module_pass_reports_exactly_the_markers(project: Path, capsys):
    want = expected(project)
    assert reported(project, capsys) == want
    header = execution_label.parse_header((project / "train.py").read_text())
    assert bool(want) == (header["label"] == "positive")


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_single_file_pass_misses_the_cross_file_bugs(project: Path, capsys):
    got = reported(project, capsys, "--no-cross-module")
    assert not got & expected(project)


def test_persisted_cache_is_reused_and_invalidated_by_an_imported_file(tmp_path, monkeypatch, capsys):
    """Warm run: answers come from .gradls_cache; editing the helper (not the importer) changes them."""
    import shutil

    project = tmp_path / "proj"
    shutil.copytree(REPO / "fixtures" / "projects" / "pos_helper_detach", project)
    (project / "pyproject.toml").write_text("[tool.gradls]\n")
    monkeypatch.chdir(project)

    def run() -> list[str]:
        main(["check", "--output-format", "json", "--exit-zero", "."])
        return [f["code"] for f in json.loads(capsys.readouterr().out or "[]")]

    assert run() == ["GRD101"]
    assert list((project / ".gradls_cache").glob("crossmodule-*.pickle"))
    assert run() == ["GRD101"]  # from the caches
    helper = project / "utils.py"
    helper.write_text(helper.read_text().replace("centered.detach()", "centered"))
    os.utime(helper, ns=(1, 1))
    assert run() == []
    helper.write_text(helper.read_text().replace("return centered /", "return centered.detach() /"))
    assert run() == ["GRD101"]


def test_resolver_refuses_outside_names_fast_and_follows_reexports():
    from gradls.crossmodule import resolver_for
    from gradls.analysis.external import ExternalClass, ExternalFunction

    project = REPO / "fixtures" / "projects" / "pos_model_forward_no_grad"
    resolver = resolver_for(project)
    importer = str(project / "train.py")
    assert resolver.resolve("torch.nn.functional.relu", importer) is None
    assert resolver.resolve("numpy.corrcoef", importer) is None
    assert resolver.stats["jedi"] == 0
    encoder = resolver.resolve("nets.Encoder", importer)
    assert isinstance(encoder, ExternalClass) and encoder.is_module
    assert encoder.path.endswith("nets/encoder.py") and "forward" in encoder.methods
    loss = resolver.resolve("losses.embedding_loss", importer)
    assert isinstance(loss, ExternalFunction) and loss.params == ("z", "target")
    assert resolver.resolve("losses.missing", importer) is None


def test_import_cycle_terminates(tmp_path):
    from gradls.crossmodule import resolver_for
    from gradls.engine import check_source

    (tmp_path / "a.py").write_text("from b import g\n\ndef f(x):\n    return g(x).detach()\n")
    (tmp_path / "b.py").write_text("from a import f\n\ndef g(x):\n    return f(x)\n")
    train = "import torch\nfrom a import f\nm = torch.nn.Linear(2, 1)\nloss = f(m(torch.ones(1, 2))).sum()\nloss.backward()\n"
    (tmp_path / "train.py").write_text(train)
    resolver = resolver_for(tmp_path)
    findings = check_source(train, str(tmp_path / "train.py"), resolver=resolver)
    assert [f.code for f in findings] == ["GRD101"]
