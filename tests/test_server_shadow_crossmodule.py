"""`gradls.confirm` in the language server starts from the same findings as `gradls confirm`
(and `gradls check`): a break the training script reaches in an imported file is a finding of
that file, confirmed there by the run (with that file's URI), not a run-time-only finding at
the script's call line; its verdict is attached to that file's diagnostics."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from pygls.uris import from_fs_path

from tests.server_client.util import session
from tests.test_shadow_crossmodule import ENCODER, TRAIN

DETACH_LINE = next(n for n, text in enumerate(ENCODER.splitlines(), 1) if ".detach()" in text)  # 11


def _project(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "pyproject.toml").write_text("[tool.gradls]\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "encoder.py").write_text(ENCODER)
    (tmp_path / "train.py").write_text(TRAIN)
    return from_fs_path(str(tmp_path / "models" / "encoder.py")), from_fs_path(str(tmp_path / "train.py"))


async def _until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


def _latest(c, uri: str) -> list:
    params = c.rec.latest(uri)
    return list(params.diagnostics) if params is not None else []


def _confirmed_in_model(result: dict, model_uri: str) -> dict:
    in_model = [f for f in result["findings"] if f.get("uri") == model_uri]
    assert len(in_model) == 1, result["findings"]  # a finding of the model file, with its URI
    (found,) = in_model
    assert (found["code"], found["line"], found["status"]) == ("GRD101", DETACH_LINE, "confirmed"), result
    assert "encoder.body.weight" in found["evidence"], found
    # the run's cut is that finding, not a second one at the call in train.py
    assert not [f for f in result["findings"] if f["status"] == "runtime_only"], result
    return found


@pytest.mark.asyncio
async def test_confirm_on_the_training_script_confirms_the_break_in_the_model_file(tmp_path):
    model_uri, train_uri = _project(tmp_path)
    async with session(root=str(tmp_path),
                       init_options={"gradls": {"shadow": {"device": "cpu", "timeout": 60}}}) as c:
        # the model file is not open: the saved training script only
        c.open(train_uri, TRAIN, version=1)
        await c.diagnostics(train_uri, 1)
        # the cross-module pass publishes the break to the model file (not open)
        await _until(lambda: [d for d in _latest(c, model_uri) if d.code == "GRD101"])

        result = await c.command("gradls.confirm", train_uri)
        assert result["outcome"] == "backward" and result["attached"] is True, result
        _confirmed_in_model(result, model_uri)
        assert result["counts"]["confirmed"] == 1 and result["counts"]["runtime_only"] == 0, result
        assert result["attached_elsewhere"] == [model_uri], result
        # the model file's diagnostics (published though no editor has it open) say so
        (diag,) = await _until(lambda: [d for d in _latest(c, model_uri)
                                        if d.code == "GRD101" and "(confirmed by running: " in d.message])
        assert diag.range.start.line == DETACH_LINE - 1 and diag.data["shadow"]["status"] == "confirmed"
        # and train.py shows nothing of it (no run-time-only finding at the call)
        assert not [d for d in _latest(c, train_uri) if d.source == "gradls-run"]

        # the model file opened (its buffer is the text on disk that ran): the verdict shows
        # in its document's diagnostics too
        c.open(model_uri, ENCODER, version=1)
        await c.diagnostics(model_uri, 1)
        result = await c.command("gradls.confirm", {"uri": train_uri})
        assert result["outcome"] == "backward", (result["message"], result)
        _confirmed_in_model(result, model_uri)
        assert result["attached_elsewhere"] == [model_uri], result
        await _until(lambda: (c.rec.latest(model_uri).version == 1 and [
            d for d in _latest(c, model_uri) if d.code == "GRD101" and "(confirmed by running: " in d.message]))
        # an edit of the model file drops the verdict there (the code that ran changed)
        version = c.replace(model_uri, ENCODER + "\n")
        await _until(lambda: c.rec.latest(model_uri).version == version and not [
            d for d in _latest(c, model_uri) if "(confirmed by running: " in d.message])
        assert await c.alive()


def test_an_unsaved_script_is_typed_across_the_project(tmp_path):
    """The server's unsaved buffer of the training script (what `static_findings` gets from the
    language server): the break it reaches in the model file is a finding of that file, as for
    the text on disk."""
    from gradls.shadow.client import static_findings

    _project(tmp_path)
    train = str(tmp_path / "train.py")
    for text in (TRAIN, "# an unsaved edit\n" + TRAIN):
        found, error = static_findings(train, text, root=tmp_path)
        assert error is None
        assert [(Path(f.path).resolve(), f.span.line, f.code) for f in found] == [
            ((tmp_path / "models" / "encoder.py").resolve(), DETACH_LINE, "GRD101")], found
