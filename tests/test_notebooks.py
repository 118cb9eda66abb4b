"""Notebooks, encodings and paths that cannot be checked: nothing reported must mean clean."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradls.cli import main

DETACHED_CELLS = [
    ["import torch\n", "import torch.nn as nn\n", "model = nn.Linear(4, 1)"],
    ["%%time\n", "x = torch.randn(8, 4)\n", "files = !ls\n", "%matplotlib inline\n",
     "out = model(x).detach()\n", "loss = out.pow(2).mean()\n", "loss.backward()\n"],
]


def notebook(cells, with_markdown=True) -> dict:
    out = [{"cell_type": "markdown", "metadata": {}, "source": ["# Training\n", "text: with a colon\n"]}] \
        if with_markdown else []
    for number, source in enumerate(cells, 1):
        out.append({"cell_type": "code", "execution_count": number, "id": f"c{number}", "metadata": {},
                    "outputs": [], "source": source})
    return {"cells": out, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"},
                                       "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def write_nb(path: Path, data: dict) -> str:
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"  # what Jupyter writes
    path.write_text(text, encoding="utf-8")
    return text


def gradls(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradls", *args], cwd=cwd, capture_output=True,
                          timeout=120, input=stdin)


@pytest.fixture
def nb(tmp_path: Path) -> Path:
    write_nb(tmp_path / "real.ipynb", notebook(DETACHED_CELLS))
    return tmp_path


def test_notebook_bug_is_reported_with_cell_relative_position(nb):
    result = gradls("check", "real.ipynb", "--no-cache", cwd=nb)
    out = result.stdout.decode()
    assert result.returncode == 1, out
    # cell 3 of the notebook (the markdown cell is cell 1); line 5 of that cell
    assert "real.ipynb:cell 3:5:15: GRD101" in out
    assert "5 | out = model(x).detach()" in out
    assert "(cell 3, line 7)" in out  # the backward's line in the message, cell-relative too


def test_directory_scan_includes_notebooks(nb):
    result = gradls("check", ".", "--no-cache", "--output-format", "json", cwd=nb)
    (finding,) = json.loads(result.stdout)
    assert (finding["path"], finding["cell"], finding["line"], finding["column"]) == ("real.ipynb", 3, 5, 15)
    assert finding["fix"]["edits"][0]["cell"] == 3 and finding["fix"]["edits"][0]["line"] == 5


@pytest.mark.parametrize("fmt, expected", [
    ("concise", "real.ipynb:cell 3:5:15: GRD101"),
    ("grouped", "  cell 3:5:15 GRD101"),
    ("github", "::error title=gradls (GRD101),file=real.ipynb,line=5,col=15"),
    ("junit", 'classname="real.ipynb:cell 3:5:15"'),
    ("gitlab", '"cell": 3'),
])
def test_cell_positions_in_every_format(nb, fmt, expected):
    result = gradls("check", "real.ipynb", "--no-cache", "--output-format", fmt, cwd=nb)
    assert expected in result.stdout.decode()


def test_sarif_region_is_cell_relative(nb):
    result = gradls("check", "real.ipynb", "--no-cache", "--output-format", "sarif", cwd=nb)
    (res,) = json.loads(result.stdout)["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert res["properties"]["cell"] == 3


def test_fix_writes_back_into_the_cell_and_keeps_the_rest(nb):
    before = (nb / "real.ipynb").read_text(encoding="utf-8")
    result = gradls("check", "real.ipynb", "--fix", "--no-cache", cwd=nb)
    assert result.returncode == 0, result.stderr.decode()
    after = (nb / "real.ipynb").read_text(encoding="utf-8")
    # only the fixed line changed, the JSON layout (indent, key order, magics) is untouched
    assert after == before.replace('"out = model(x).detach()\\n"', '"out = model(x)\\n"')
    assert after != before
    data = json.loads(after)
    assert data["cells"][2]["source"][2] == "files = !ls\n"


def test_diff_names_the_cell_and_writes_nothing(nb):
    before = (nb / "real.ipynb").read_bytes()
    result = gradls("check", "real.ipynb", "--diff", "--no-cache", cwd=nb)
    out = result.stdout.decode()
    assert result.returncode == 1
    assert "--- real.ipynb:cell 3" in out and "-out = model(x).detach()" in out and "+out = model(x)\n" in out
    assert (nb / "real.ipynb").read_bytes() == before


def test_string_sources_and_magics_inside_blocks(tmp_path):
    data = notebook([], with_markdown=False)
    data["cells"].append({"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
                          "source": "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 1)\n"
                                    "if True:\n    !nvidia-smi\n"
                                    "x = torch.randn(8, 4)\nout = model(x).detach()\n"
                                    "loss = out.pow(2).mean()\nloss.backward()"})
    write_nb(tmp_path / "s.ipynb", data)
    result = gradls("check", "s.ipynb", "--fix", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    source = json.loads((tmp_path / "s.ipynb").read_text())["cells"][0]["source"]
    assert isinstance(source, str)  # a string stays a string
    assert "    !nvidia-smi\n" in source and "out = model(x)\n" in source and source.endswith("loss.backward()")


def test_clean_notebook_passes(tmp_path):
    cells = [c[:] for c in DETACHED_CELLS]
    cells[1][4] = "out = model(x)\n"
    write_nb(tmp_path / "ok.ipynb", notebook(cells))
    result = gradls("check", "ok.ipynb", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0 and b"All checks passed!" in result.stdout


def test_invalid_notebook_is_not_clean(tmp_path):
    (tmp_path / "bad.ipynb").write_text("{ not json")
    result = gradls("check", "bad.ipynb", "--no-cache", cwd=tmp_path)
    assert result.returncode == 2
    assert b"bad.ipynb:1:1: GRD000 could not check: not a notebook" in result.stdout
    assert b"All checks passed" not in result.stdout


# --------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------

LATIN1 = textwrap.dedent("""\
    # -*- coding: latin-1 -*-
    import torch
    import torch.nn as nn
    model = nn.Linear(4, 1)  # modèle
    x = torch.randn(8, 4)
    out = model(x).detach()
    loss = out.pow(2).mean()
    loss.backward()
""")


def test_coding_cookie_is_decoded_and_fixes_keep_the_encoding(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(LATIN1.encode("latin-1"))
    result = gradls("check", "latin.py", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1 and b"latin.py:6:15: GRD101" in result.stdout
    assert gradls("check", "latin.py", "--fix", "--no-cache", cwd=tmp_path).returncode == 0
    assert path.read_bytes() == LATIN1.replace(".detach()", "").encode("latin-1")


def test_bom_is_kept_by_fixes(tmp_path):
    path = tmp_path / "bom.py"
    body = LATIN1.replace("# -*- coding: latin-1 -*-\n", "")
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    assert main(["check", "--fix", "--no-cache", str(path)]) == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + body.replace(".detach()", "").encode("utf-8")


# --------------------------------------------------------------------------------------
# explicit paths that cannot be checked
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, content", [
    ("binary.py", b"\x00\x01ELF"),
    ("undecodable.py", "x = 'caf\xe9'\n".encode("latin-1")),
    ("wrongcookie.py", b"# coding: no-such-codec\nx = 1\n"),
])
def test_explicit_uncheckable_path_fails_the_run(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    for fmt in ("text", "json"):
        result = gradls("check", name, "--no-cache", "--output-format", fmt, cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert b"All checks passed" not in result.stdout
        assert b"GRD000" in result.stdout and b"could not check" in result.stdout


def test_unreadable_file_fails_the_run(tmp_path):
    import os

    path = tmp_path / "secret.py"
    path.write_text("x = 1\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        result = gradls("check", "secret.py", "--no-cache", cwd=tmp_path)
        assert result.returncode == 2 and b"could not check: cannot read" in result.stdout
    finally:
        path.chmod(0o644)


def test_unreadable_file_fails_the_run_even_as_root(tmp_path, monkeypatch, capsys):
    """Root reads every file, so the OSError is simulated where the file is read."""
    from gradls import sourcefile

    (tmp_path / "a.py").write_text("x = 1\n")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code = main(["check", "--no-cache", str(tmp_path / "a.py")])
    monkeypatch.undo()
    out = capsys.readouterr().out
    assert code == 2 and "could not check: cannot read: Permission denied" in out
    assert sourcefile  # the module under test


def test_foreign_cells_and_continued_magics_do_not_break_parsing(tmp_path):
    cells = [["%%bash\n", "for f in *; do\n", "    echo $f\n", "done\n"],
             ["import torch\n", "if torch.cuda.is_available():\n", "    !pip install \\\n", "        --upgrade x\n",
              "y = 7 % 3\n"],
             *DETACHED_CELLS]
    write_nb(tmp_path / "mixed.ipynb", notebook(cells, with_markdown=False))
    before = (tmp_path / "mixed.ipynb").read_text()
    result = gradls("check", "mixed.ipynb", "--no-cache", "--output-format", "concise", cwd=tmp_path)
    out = result.stdout.decode()
    assert "GRD000" not in out and "mixed.ipynb:cell 4:5:15: GRD101" in out
    assert gradls("check", "mixed.ipynb", "--fix", "--no-cache", cwd=tmp_path).returncode == 0
    after = (tmp_path / "mixed.ipynb").read_text()
    assert after == before.replace('"out = model(x).detach()\\n"', '"out = model(x)\\n"') and after != before
