"""Reading what `gradls check` checks: Python files decoded the way Python decodes them
(UTF-8 BOM, PEP 263 coding cookie) and Jupyter notebooks (their code cells).

A notebook is checked as one Python text: its code cells one after the other, each followed
by a boundary comment line, so names defined in an earlier cell are known in a later one.
IPython syntax that is not Python (`%magic`, `!shell`, `x = !cmd`, `%%cell_magic` lines)
becomes a `pass` placeholder of the same indentation, so every other line keeps its number
and the placeholder is turned back into the original line when a fix is written back.
`Notebook.locate(line)` maps a line of that text to (cell number, line in the cell).
"""

from __future__ import annotations

import codecs
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

CELL_BOUNDARY = "# gradls: cell boundary"
MAGIC_PLACEHOLDER = "pass  # gradls: ipython {index}"
_PLACEHOLDER = re.compile(r"^(\s*)pass  # gradls: ipython (\d+)$")
_MAGIC = re.compile(r"^\s*(%|!|\?)|^\s*[\w.\[\], ]+\s*=\s*[%!]")
# cell magics whose body is still Python; any other (%%bash, %%writefile, ...) hides the cell
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "snakeviz"}


class NotCheckable(Exception):
    """The file cannot be checked (binary, undecodable, not a notebook); the message says why."""


@dataclass
class Decoded:
    text: str
    encoding: str   # the codec (never utf-8-sig; `bom` says whether a BOM is written)
    bom: bool


def decode_python(raw: bytes) -> Decoded:
    """Decode Python source bytes as the interpreter would: BOM, then the PEP 263 cookie."""
    if b"\x00" in raw[:8192]:
        raise NotCheckable("binary file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as err:
        if "invalid or missing encoding declaration" in str(err):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise NotCheckable(f"not valid UTF-8 ({bad.reason} at byte {bad.start}) and no PEP 263 "
                                   "coding declaration") from None
        raise NotCheckable(f"bad encoding declaration: {err}") from None
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8):] if bom else raw
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as err:
        raise NotCheckable(f"cannot decode as {encoding} ({err.reason} at byte {err.start})") from None
    except LookupError:
        raise NotCheckable(f"unknown encoding {encoding!r}") from None
    return Decoded(text, codec, bom)


def encode_python(decoded: Decoded, text: str) -> bytes:
    data = text.encode(decoded.encoding)
    return codecs.BOM_UTF8 + data if decoded.bom else data


def is_notebook(path: str | Path) -> bool:
    return str(path).endswith(".ipynb")


@dataclass
class Cell:
    index: int            # position in the notebook's `cells` list (0-based)
    first_line: int       # its first line in the joined text (1-based)
    line_count: int       # lines it occupies in the joined text (without the boundary line)


@dataclass
class Notebook:
    data: dict
    raw_text: str
    text: str                                  # the joined Python text that is checked
    cells: list[Cell] = field(default_factory=list)
    magics: list[str] = field(default_factory=list)  # original lines behind placeholders

    def locate(self, line: int) -> tuple[int, int]:
        """(cell number, 1-based; line within the cell) of a line of the joined text."""
        for cell in reversed(self.cells):
            if line >= cell.first_line:
                return cell.index + 1, min(line - cell.first_line + 1, max(cell.line_count, 1))
        return (self.cells[0].index + 1 if self.cells else 1), line

    def rewrite_message(self, message: str) -> str:
        """A rule's "(line 12)" in a message, as the cell and line it is in."""
        def cell_line(match):
            cell, line = self.locate(int(match.group(2)))
            return f"{match.group(1)}cell {cell}, line {line}"

        return re.sub(r"(\(|\bat |\bon )line (\d+)", cell_line, message)

    def cell_sources(self, text: str) -> list[str]:
        """Split a (possibly fixed) joined text back into the code cells' sources, placeholders
        restored; raises NotCheckable when the boundaries did not survive."""
        lines = text.splitlines(keepends=True)
        chunks, current = [], []
        for line in lines:
            if line.rstrip("\r\n") == CELL_BOUNDARY:
                chunks.append(current)
                current = []
            else:
                current.append(line)
        if current and "".join(current).strip():
            raise NotCheckable("text after the last cell boundary")
        if len(chunks) != len(self.cells):
            raise NotCheckable("cell boundaries changed")
        sources = []
        for cell, chunk in zip(self.cells, chunks):
            original = _cell_text(self.data["cells"][cell.index])
            restored = []
            for line in chunk:
                body = line.rstrip("\r\n")
                match = _PLACEHOLDER.match(body)
                restored.append(self.magics[int(match.group(2))] + line[len(body):] if match else line)
            joined = "".join(restored)
            if not original.endswith("\n") and joined.endswith("\n"):
                joined = joined[:-1]  # the newline the joined text added after the last line
            sources.append(joined)
        return sources

    def write(self, text: str) -> str:
        """The notebook's JSON with the code cells replaced by the cells of `text`, formatted like
        the original (indentation, key order, ASCII escaping, trailing newline)."""
        sources = self.cell_sources(text)
        data = json.loads(self.raw_text)  # a fresh copy, keys in their original order
        for cell, source in zip(self.cells, sources):
            old = data["cells"][cell.index]["source"]
            if isinstance(old, list):
                data["cells"][cell.index]["source"] = source.splitlines(keepends=True)
            else:
                data["cells"][cell.index]["source"] = source
        indent = _json_indent(self.raw_text)
        ascii_only = "\\u" in self.raw_text and self.raw_text.isascii()
        out = json.dumps(data, indent=indent, ensure_ascii=ascii_only)
        return out + "\n" if self.raw_text.endswith("\n") else out


def _json_indent(raw: str):
    match = re.search(r"\{\r?\n([ \t]+)\"", raw)
    if not match:
        return None
    ws = match.group(1)
    return ws if "\t" in ws else len(ws)


def _cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        if not all(isinstance(s, str) for s in source):
            raise NotCheckable("a cell's source is not text")
        return "".join(source)
    if not isinstance(source, str):
        raise NotCheckable("a cell's source is not text")
    return source


def read_notebook(raw: bytes) -> Notebook:
    try:
        raw_text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise NotCheckable(f"notebook is not UTF-8 ({err.reason} at byte {err.start})") from None
    try:
        data = json.loads(raw_text)
    except json.JSONDecodeError as err:
        raise NotCheckable(f"not a notebook: invalid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotCheckable("not a notebook: no `cells` list")
    language = (data.get("metadata") or {}).get("language_info", {}) if isinstance(data.get("metadata"), dict) else {}
    name = language.get("name") if isinstance(language, dict) else None
    if name not in (None, "python"):
        raise NotCheckable(f"not a Python notebook (language {name!r})")
    return _join(Notebook(data, raw_text, ""))


def notebook_from_cells(sources: list[str]) -> Notebook:
    """A notebook of these code cells (the language server's open notebook, from its cells)."""
    data = {"cells": [{"cell_type": "code", "source": source} for source in sources]}
    return _join(Notebook(data, "", ""))


def _join(notebook: Notebook) -> Notebook:
    out: list[str] = []
    line = 1
    for index, cell in enumerate(notebook.data["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _cell_text(cell)
        cell_lines = source.splitlines()
        converted = _python_lines(cell_lines, notebook.magics)
        notebook.cells.append(Cell(index, line, len(converted)))
        out.extend(converted)
        out.append(CELL_BOUNDARY)
        line += len(converted) + 1
    notebook.text = "".join(f"{text}\n" for text in out)
    return notebook


def _python_lines(lines: list[str], magics: list[str]) -> list[str]:
    """The cell's lines with IPython-only syntax replaced by placeholders of the same indentation."""
    def placeholder(original: str, indent: str | None = None) -> str:
        magics.append(original)
        if indent is None:
            indent = original[: len(original) - len(original.lstrip())]
        return indent + MAGIC_PLACEHOLDER.format(index=len(magics) - 1)

    if lines and lines[0].startswith("%%"):
        name = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
        if name not in PYTHON_CELL_MAGICS:  # the cell's body is another language: no Python indentation
            return [placeholder(text, "") if text.strip() else text for text in lines]
        return [placeholder(lines[0]), *_python_lines(lines[1:], magics)]
    result = []
    indent = None  # the indentation of the magic a continuation line belongs to
    for text in lines:
        if indent is not None:
            result.append(placeholder(text, indent))
        elif _MAGIC.match(text) and not _is_python(text):
            result.append(placeholder(text))
            indent = text[: len(text) - len(text.lstrip())]
        else:
            result.append(text)
            continue
        if not text.rstrip().endswith("\\"):
            indent = None
    return result


def _is_python(line: str) -> bool:
    """`x = !ls` and `%time f()` are IPython; `a = b % c` or `x != y` are Python."""
    stripped = line.strip()
    if stripped.startswith(("%", "!", "?")):
        return False
    try:
        compile(stripped, "<cell>", "exec")
    except SyntaxError:
        return False
    return True


@dataclass
class SourceBytes:
    """One file as read from disk: its bytes, the text that is checked, how to write it back."""

    path: Path
    raw: bytes
    text: str
    encoding: str
    bom: bool
    mtime_ns: int
    size: int
    notebook: Notebook | None = None


def read_source(path: Path) -> SourceBytes:
    """Read a Python file (decoded by BOM / coding cookie) or a notebook (its code cells);
    raises NotCheckable (why it cannot be checked) or OSError."""
    path = Path(path)
    info = path.stat()
    raw = path.read_bytes()
    return source_from_bytes(path, raw, info.st_mtime_ns, info.st_size)


def source_from_bytes(path: Path, raw: bytes, mtime_ns: int = 0, size: int | None = None) -> SourceBytes:
    size = len(raw) if size is None else size
    if is_notebook(path):
        notebook = read_notebook(raw)
        return SourceBytes(path, raw, notebook.text, "utf-8", raw.startswith(codecs.BOM_UTF8), mtime_ns, size,
                           notebook)
    decoded = decode_python(raw)
    return SourceBytes(path, raw, decoded.text, decoded.encoding, decoded.bom, mtime_ns, size)


def encode_source(source: SourceBytes, text: str) -> bytes:
    """The bytes to write for the new text: in the file's own encoding (and BOM); for a notebook,
    its JSON with the changed cells."""
    if source.notebook is not None:
        data = source.notebook.write(text).encode("utf-8")
    else:
        data = text.encode(source.encoding)
    return codecs.BOM_UTF8 + data if source.bom else data
