"""The language server publishes the single-file findings first, then the cross-module
pass (jedi, in a background thread) republishes once with the finding only it can see."""

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


@pytest.mark.asyncio
async def test_refined_diagnostic_arrives_in_a_second_publish(tmp_path):
    for name in ("train.py", "utils.py", "models.py", "losses.py"):
        shutil.copy(PROJECT / name, tmp_path / name)
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    train = (tmp_path / "train.py").read_text()
    line = next(i for i, text in enumerate(train.splitlines()) if "expect: GRD101" in text)
    uri = from_fs_path(str(tmp_path / "train.py"))
    async with session(root=str(tmp_path)) as c:
        c.open(uri, train, version=3)
        publishes = await _publishes_until(c, uri, lambda ps: any(d.code == "GRD101" for d in ps[-1].diagnostics))
        first, last = publishes[0], publishes[-1]
        assert first.version == 3 and not first.diagnostics  # the single-file pass, not delayed
        assert last.version == 3 and len(publishes) == 2
        d = next(d for d in last.diagnostics if d.code == "GRD101")
        assert d.range.start.line == line and "utils.py:3" in d.message

        # an edit that removes the call: one publish, no refined republish (nothing changed)
        version = c.replace(uri, train.replace("standardize(model(x))", "model(x)"))
        await c.diagnostics(uri, version)
        await asyncio.sleep(1.5)
        later = [p for p in c.rec.publishes if p.uri == uri and p.version == version]
        assert len(later) == 1 and not later[0].diagnostics


@pytest.mark.asyncio
async def test_a_pull_client_is_asked_to_pull_again_when_the_refined_finding_arrives(tmp_path):
    """Pull mode: the first report is the single-file pass (no waiting for jedi); when the
    cross-module finding arrives the server sends workspace/diagnostic/refresh, and the next
    pull has it."""
    for name in ("train.py", "utils.py", "models.py", "losses.py"):
        shutil.copy(PROJECT / name, tmp_path / name)
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    train = (tmp_path / "train.py").read_text()
    uri = from_fs_path(str(tmp_path / "train.py"))
    caps = client_capabilities("neovim@v0.11.0")  # pulls; and like VS Code, can be asked to pull again
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    async with session(caps=caps, root=str(tmp_path)) as c:
        c.open(uri, train)
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
async def test_refinement_reads_other_open_documents_from_their_buffers(tmp_path):
    """utils.py on disk keeps the gradient; its unsaved buffer detaches. The refinement of
    train.py follows the buffer, and a later buffer edit, seen on train.py's next edit."""
    detaching, keeping, train, utils_uri, train_uri = _project_whose_utils_keeps_grad(tmp_path)

    def has_cut(version: int):
        return lambda ps: ps[-1].version == version and any(d.code == "GRD101" for d in ps[-1].diagnostics)

    async with session(root=str(tmp_path)) as c:
        c.open(utils_uri, detaching)
        c.open(train_uri, train, version=1)
        last = (await _publishes_until(c, train_uri, has_cut(1)))[-1]
        assert "utils.py:3" in next(d.message for d in last.diagnostics if d.code == "GRD101")

        c.replace(utils_uri, keeping)  # the buffer now agrees with the disk: no cut
        version = c.replace(train_uri, train + "# edited\n")
        await c.diagnostics(train_uri, version)
        await asyncio.sleep(1.5)
        assert not [d for p in c.rec.publishes if p.uri == train_uri and p.version == version
                    for d in p.diagnostics if d.code == "GRD101"]

        c.replace(utils_uri, detaching)
        version = c.replace(train_uri, train)
        await _publishes_until(c, train_uri, has_cut(version))
        assert (tmp_path / "utils.py").read_text() == keeping  # nothing was saved


@pytest.mark.asyncio
async def test_an_edit_of_an_imported_file_refreshes_its_open_importers(tmp_path):
    """Only utils.py is edited: train.py, open beside it, gets the cut (and then loses it)
    without being touched itself."""
    detaching, keeping, train, utils_uri, train_uri = _project_whose_utils_keeps_grad(tmp_path)

    def cut_shown(expected: bool):
        return lambda ps: any(d.code == "GRD101" for d in ps[-1].diagnostics) == expected

    async with session(root=str(tmp_path)) as c:
        c.open(train_uri, train, version=1)
        c.open(utils_uri, keeping)
        await c.diagnostics(train_uri, 1)
        await asyncio.sleep(1.0)
        assert not any(d.code == "GRD101" for d in (await c.diagnostics(train_uri, 1)))

        c.replace(utils_uri, detaching)
        publishes = await _publishes_until(c, train_uri, cut_shown(True))
        assert publishes[-1].version == 1  # train.py itself was not edited
        c.replace(utils_uri, keeping)
        publishes = await _publishes_until(c, train_uri, cut_shown(False))
        assert publishes[-1].version == 1


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
