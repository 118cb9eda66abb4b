"""The language server publishes the single-file findings first, then the cross-module
pass (jedi, in a background thread) republishes once with the finding only it can see. A break
another file's training code reaches is published to the document that holds it."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import client_capabilities

from tests.server_client.util import session

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "fixtures" / "projects" / "pos_helper_detach"


async def _publishes_until(c, uri: str, predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [p for p in c.rec.publishes if p.uri == uri]
        if mine and predicate(mine):
            return mine
        await asyncio.sleep(0.02)
    raise TimeoutError([p for p in c.rec.publishes if p.uri == uri])


def _copy_project(tmp_path: Path) -> tuple[str, int]:
    for name in ("train.py", "utils.py", "models.py", "losses.py"):
        shutil.copy(PROJECT / name, tmp_path / name)
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    utils = (tmp_path / "utils.py").read_text()
    line = next(i for i, text in enumerate(utils.splitlines()) if "expect: GRD101" in text)
    return utils, line


@pytest.mark.asyncio
async def test_refined_diagnostic_arrives_in_a_second_publish(tmp_path):
    """utils.py alone trains nothing; the cross-module pass finds that train.py (on disk, not
    open) backpropagates through its detach, and republishes utils.py with the finding at the
    detach, train.py's backward as related information."""
    utils, line = _copy_project(tmp_path)
    uri = from_fs_path(str(tmp_path / "utils.py"))
    async with session(root=str(tmp_path)) as c:
        c.open(uri, utils, version=3)
        publishes = await _publishes_until(c, uri, lambda ps: any(d.code == "GRD101" for d in ps[-1].diagnostics))
        first, last = publishes[0], publishes[-1]
        assert first.version == 3 and not first.diagnostics  # the single-file pass, not delayed
        assert last.version == 3 and len(publishes) == 2
        d = next(d for d in last.diagnostics if d.code == "GRD101")
        assert d.range.start.line == line and "train.py line 19" in d.message
        related = [r.location for r in d.related_information or []]
        assert [(r.uri, r.range.start.line) for r in related] == [(from_fs_path(str(tmp_path / "train.py")), 18)]

        # an edit that removes the detach: one publish, no refined republish (nothing changed)
        version = c.replace(uri, utils.replace("centered.detach()", "centered"))
        await c.diagnostics(uri, version)
        await asyncio.sleep(1.5)
        later = [p for p in c.rec.publishes if p.uri == uri and p.version == version]
        assert len(later) == 1 and not later[0].diagnostics


@pytest.mark.asyncio
async def test_a_pull_client_is_asked_to_pull_again_when_the_refined_finding_arrives(tmp_path):
    """Pull mode: the first report is the single-file pass (no waiting for jedi); when the
    cross-module finding arrives the server sends workspace/diagnostic/refresh, and the next
    pull has it."""
    utils, _ = _copy_project(tmp_path)
    uri = from_fs_path(str(tmp_path / "utils.py"))
    caps = client_capabilities("neovim@v0.11.0")  # pulls; and like VS Code, can be asked to pull again
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    async with session(caps=caps, root=str(tmp_path)) as c:
        c.open(uri, utils)
        first = await c.pull(uri)
        assert "GRD101" not in [d.code for d in first.items]
        deadline = time.monotonic() + 60
        while c.rec.refreshes == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert c.rec.refreshes >= 1
        again = await c.pull(uri, previous=first.result_id)
        assert again.kind == "full" and "GRD101" in [d.code for d in again.items]


@pytest.mark.asyncio
async def test_no_republish_for_a_single_file_document():
    uri = "file:///tmp/gradls_test_xmod/train.py"
    text = "import torch\nimport torch.nn as nn\nm = nn.Linear(2, 1)\nloss = m(torch.ones(1, 2)).detach().sum()\nloss.backward()\n"
    async with session() as c:
        c.open(uri, text)
        await c.diagnostics(uri, 1)
        await asyncio.sleep(1.0)
        assert len([p for p in c.rec.publishes if p.uri == uri]) == 1


def _project_whose_utils_keeps_grad(tmp_path: Path):
    """pos_helper_detach with a utils.py on disk that keeps the gradient: its two texts, the
    training script and the two URIs."""
    for name in ("train.py", "models.py", "losses.py"):
        shutil.copy(PROJECT / name, tmp_path / name)
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    detaching = (PROJECT / "utils.py").read_text()
    keeping = detaching.replace("centered.detach()", "centered")
    (tmp_path / "utils.py").write_text(keeping)
    train = (tmp_path / "train.py").read_text()
    utils_uri, train_uri = (from_fs_path(str(tmp_path / name)) for name in ("utils.py", "train.py"))
    return detaching, keeping, train, utils_uri, train_uri


@pytest.mark.asyncio
async def test_the_root_cause_follows_the_buffers_and_is_never_reported_at_the_call(tmp_path):
    """utils.py on disk keeps the gradient; its unsaved buffer detaches. The finding is in
    utils.py (from its buffer), never in train.py; saving nothing, the buffer edits decide."""
    detaching, keeping, train, utils_uri, train_uri = _project_whose_utils_keeps_grad(tmp_path)

    def has_cut(expected: bool):
        return lambda ps: any(d.code == "GRD101" for d in ps[-1].diagnostics) == expected

    async with session(root=str(tmp_path)) as c:
        c.open(train_uri, train, version=1)
        c.open(utils_uri, detaching)
        await _publishes_until(c, utils_uri, has_cut(True))
        c.replace(utils_uri, keeping)  # the buffer now agrees with the disk: no cut
        await _publishes_until(c, utils_uri, has_cut(False))
        c.replace(utils_uri, detaching)
        await _publishes_until(c, utils_uri, has_cut(True))
        await asyncio.sleep(1.0)
        assert not [d for p in c.rec.publishes if p.uri == train_uri for d in p.diagnostics]
        assert (tmp_path / "utils.py").read_text() == keeping  # nothing was saved


MODEL = """import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 4)

    def forward(self, x):
        return self.body(x).detach()

    def embed(self, x):
        return self.body(x).detach() * 2.0
"""
TRAIN = """import torch

from models import Encoder

model = Encoder()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(16, 8)
loss = model(x).pow(2).mean()
optimizer.zero_grad()
loss.backward()
optimizer.step()
"""


@pytest.mark.asyncio
async def test_the_model_file_shows_what_the_training_script_reaches(tmp_path):
    """Only the model file is open: nothing trains it (train.py on disk computes its loss but
    never calls backward). Opening the training script (its buffer calls backward) makes the
    detach in `forward` a finding of the model file; an edit of the training script that calls
    `embed` instead moves it to `embed`'s detach; one without backward clears it. The model
    file is never edited: its version stays."""
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "train.py").write_text(TRAIN.replace("loss.backward()\n", ""))
    model_uri, train_uri = (from_fs_path(str(tmp_path / name)) for name in ("models.py", "train.py"))

    def finding_on(line: int | None):
        return lambda ps: ps[-1].version == 1 and sorted(
            d.range.start.line for d in ps[-1].diagnostics if d.code == "GRD101") == ([] if line is None else [line])

    async with session(root=str(tmp_path)) as c:
        c.open(model_uri, MODEL, version=1)
        await c.diagnostics(model_uri, 1)
        await asyncio.sleep(1.5)
        assert not [d for p in c.rec.publishes if p.uri == model_uri for d in p.diagnostics]

        c.open(train_uri, TRAIN, version=1)
        publishes = await _publishes_until(c, model_uri, finding_on(9))
        d = next(d for d in publishes[-1].diagnostics if d.code == "GRD101")
        assert "train.py line 10" in d.message
        assert [(r.location.uri, r.location.range.start.line) for r in d.related_information] == [(train_uri, 9)]
        assert not [d for p in c.rec.publishes if p.uri == train_uri for d in p.diagnostics]

        c.replace(train_uri, TRAIN.replace("model(x)", "model.embed(x)"))
        await _publishes_until(c, model_uri, finding_on(12))
        c.replace(train_uri, TRAIN.replace("loss.backward()\n", "print(loss.item())\n"))
        await _publishes_until(c, model_uri, finding_on(None))


@pytest.mark.asyncio
async def test_a_root_cause_in_a_file_not_open_is_published_to_it(tmp_path):
    """Only the training script is open: the finding goes to models.py's URI (which no editor
    has open), and is cleared there when the training script stops reaching it."""
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    (tmp_path / "models.py").write_text(MODEL)
    (tmp_path / "train.py").write_text(TRAIN)
    model_uri, train_uri = (from_fs_path(str(tmp_path / name)) for name in ("models.py", "train.py"))
    async with session(root=str(tmp_path)) as c:
        c.open(train_uri, TRAIN, version=1)
        published = await _publishes_until(c, model_uri, lambda ps: any(d.code == "GRD101" for d in ps[-1].diagnostics))
        assert [d.range.start.line for d in published[-1].diagnostics] == [9]
        c.replace(train_uri, TRAIN.replace("loss.backward()\n", "print(loss.item())\n"))
        await _publishes_until(c, model_uri, lambda ps: not ps[-1].diagnostics)


@pytest.mark.asyncio
async def test_a_model_from_an_installed_library_is_typed_in_the_background(tmp_path):
    """The document imports only torch and an installed library (fixtures/libraries/zoo, on the
    server's PYTHONPATH): the first publish cannot know `zoo.create_model` returns a model; the
    cross-module pass asks jedi and republishes with the detached model."""
    project = REPO / "fixtures" / "projects" / "pos_library_model_detached"
    shutil.copy(project / "train.py", tmp_path / "train.py")
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    train = (tmp_path / "train.py").read_text()
    line = next(i for i, text in enumerate(train.splitlines()) if "expect: GRD101" in text)
    uri = from_fs_path(str(tmp_path / "train.py"))
    env = {"PYTHONPATH": str(REPO / "fixtures" / "libraries")}
    async with session(root=str(tmp_path), env=env) as c:
        c.open(uri, train, version=1)
        publishes = await _publishes_until(c, uri, lambda ps: any(d.code == "GRD101" for d in ps[-1].diagnostics))
        assert not publishes[0].diagnostics  # the single-file pass first, not delayed
        d = next(d for d in publishes[-1].diagnostics if d.code == "GRD101")
        assert d.range.start.line == line and publishes[-1].version == 1


SETUP_PROJECT = REPO / "fixtures" / "projects" / "pos_setup_helper_freezes_all"


@pytest.mark.asyncio
async def test_a_setup_root_cause_appears_in_the_helper_and_clears_with_the_training_script(tmp_path):
    """helpers/finetune.py freezes every parameter the training script's optimizer filters for:
    opening only the helper shows GRD118 there (the training script, on disk, is evaluated in
    the background); opening the training script keeps it there (never in the training script),
    and an edit of the training script that no longer calls the helper clears it."""
    shutil.copytree(SETUP_PROJECT, tmp_path / "project")
    root = tmp_path / "project"
    (root / "pyproject.toml").write_text("[tool.gradls]\n")
    helper, train = root / "helpers" / "finetune.py", root / "train.py"
    helper_uri, train_uri = from_fs_path(str(helper)), from_fs_path(str(train))
    line = next(i for i, text in enumerate(helper.read_text().splitlines()) if "expect: GRD118" in text)

    def finding_on(expected):
        return lambda ps: [d.range.start.line for d in ps[-1].diagnostics if d.code == "GRD118"] == (
            [expected] if expected is not None else [])

    async with session(root=str(root)) as c:
        c.open(helper_uri, helper.read_text(), version=1)
        published = await _publishes_until(c, helper_uri, finding_on(line))
        d = next(d for d in published[-1].diagnostics if d.code == "GRD118")
        assert "train.py line 13" in d.message
        assert [(r.location.uri, r.location.range.start.line) for r in d.related_information or []] == [(train_uri, 12)]
        text = train.read_text()
        c.open(train_uri, text, version=1)
        await c.diagnostics(train_uri, 1)
        assert not [d for d in c.rec.publishes if d.uri == train_uri and any(x.code == "GRD118" for x in d.diagnostics)]
        c.replace(train_uri, text.replace("prepare_for_finetuning(Classifier(), settings.NUM_CLASSES)",
                                          "Classifier(settings.NUM_CLASSES)"))
        await _publishes_until(c, helper_uri, finding_on(None))


@pytest.mark.asyncio
async def test_a_cost_function_opened_alone_shows_that_it_ignores_the_prediction(tmp_path):
    """lib/objectives.py (GRD122, a rule of the training script's analysis, not of its setup
    evaluation): opening only it shows the finding at its return, with the training script's
    call as related information."""
    shutil.copytree(REPO / "fixtures" / "projects" / "pos_cost_of_another_file_never_reads_the_output",
                    tmp_path / "project")
    root = tmp_path / "project"
    (root / "pyproject.toml").write_text("[tool.gradls]\n")
    costs, train = root / "lib" / "objectives.py", root / "train.py"
    costs_uri, train_uri = from_fs_path(str(costs)), from_fs_path(str(train))
    line = next(i for i, text in enumerate(costs.read_text().splitlines()) if "expect: GRD122" in text)
    call = next(i for i, text in enumerate(train.read_text().splitlines()) if "charbonnier(" in text and "import" not in text)

    async with session(root=str(root)) as c:
        c.open(costs_uri, costs.read_text(), version=1)
        published = await _publishes_until(
            c, costs_uri, lambda ps: [d.range.start.line for d in ps[-1].diagnostics if d.code == "GRD122"] == [line])
        d = next(d for d in published[-1].diagnostics if d.code == "GRD122")
        assert [(r.location.uri, r.location.range.start.line) for r in d.related_information or []] == [(train_uri, call)]
