"""Every fixture's declared label holds when the fixture is EXECUTED under torch.

The fixtures run through tests/execution_label.py (no gradls import): two driver
processes, each forking a fresh child per fixture, share the work.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "execution_label", Path(__file__).with_name("execution_label.py")
)
execution_label = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("execution_label", execution_label)
_spec.loader.exec_module(execution_label)

FIXTURES = execution_label.all_fixtures()
WORKERS = 2


@pytest.fixture(scope="session")
def observations() -> dict[str, dict]:
    chunks = [FIXTURES[i::WORKERS] for i in range(WORKERS)]
    start = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        parts = list(pool.map(execution_label.observe_many, chunks))
    merged: dict[str, dict] = {}
    for part in parts:
        merged.update(part)
    print(f"\nexecuted {len(merged)} fixtures in {time.monotonic() - start:.1f}s")
    return merged


def test_fixture_corpus_is_present():
    assert len(FIXTURES) >= 90, f"only {len(FIXTURES)} fixtures"


@pytest.mark.parametrize("path", FIXTURES, ids=execution_label.fixture_id)
def test_fixture_label_holds(path: Path, observations):
    text = path.read_text()
    header = execution_label.parse_header(text)
    obs = observations[str(path.resolve())]
    problems = execution_label.check_fixture(header, obs)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FIXTURES, ids=execution_label.fixture_id)
def test_fixture_markers_match_label(path: Path):
    """Positives name at least one expected diagnostic; negatives name none."""
    text = path.read_text()
    header = execution_label.parse_header(text)
    expected = execution_label.parse_expect(text)
    if header.get("label") == "positive":
        assert expected, "positive fixture without a '# expect:' marker"
        if path.parent.name.startswith("grd"):
            code = path.parent.name.upper()
            assert any(c == code for c, _ in expected), f"no {code} marker in its own group"
    else:
        assert not expected, "negative fixture with a '# expect:' marker"
    if path.parent.name.startswith("grd"):
        prefix = "pos_" if header.get("label") == "positive" else "neg_"
        assert path.name.startswith(prefix), f"{header.get('label')} fixture not named {prefix}*"


# --------------------------------------------------------------------------------------
# self-tests of the harness: it must be able to FAIL
# --------------------------------------------------------------------------------------

KNOWN_POSITIVE = '''\
# label: positive
# effect: no-grad
# why: the first layer's output is detached, so its weights never get a gradient.
import torch
torch.manual_seed(0)
enc = torch.nn.Linear(4, 3)
head = torch.nn.Linear(3, 1)
opt = torch.optim.SGD(list(enc.parameters()) + list(head.parameters()), lr=0.1)
x, y = torch.randn(8, 4), torch.randn(8, 1)
for _ in range(2):
    opt.zero_grad()
    loss = ((head(enc(x).detach()) - y) ** 2).mean()  # expect: GRD101
    loss.backward()
    opt.step()
'''

KNOWN_NEGATIVE = '''\
# label: negative
# effect: none
# why: a plain training loop; every parameter gets a gradient.
import torch
torch.manual_seed(0)
enc = torch.nn.Linear(4, 3)
head = torch.nn.Linear(3, 1)
opt = torch.optim.SGD(list(enc.parameters()) + list(head.parameters()), lr=0.1)
x, y = torch.randn(8, 4), torch.randn(8, 1)
for _ in range(2):
    opt.zero_grad()
    loss = ((head(enc(x)) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print(loss.item())
'''

KNOWN_RAISES = '''\
# label: positive
# effect: raises
# why: backward of a non-scalar without gradient raises.
import torch
torch.manual_seed(0)
lin = torch.nn.Linear(4, 2)
lin(torch.randn(3, 4)).backward()  # expect: GRD113
'''

UNRELATED_CRASH = '''\
# label: positive
# effect: raises
# why: crashes, but for a reason that has nothing to do with gradients.
import torch
torch.manual_seed(0)
lin = torch.nn.Linear(4, 2)
lin(torch.randn(3, 5)).sum().backward()
'''


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_harness_detects_known_positive(tmp_path):
    p = _write(tmp_path, "pos.py", KNOWN_POSITIVE)
    obs = execution_label.observe(p)
    assert execution_label.label_from_observation(obs) == "positive", obs
    assert execution_label.effect_from_observation(obs) == "no-grad", obs
    assert execution_label.check_fixture(execution_label.parse_header(KNOWN_POSITIVE), obs) == []
    # the same observation refutes a fixture that claims to be negative
    lying = execution_label.parse_header(KNOWN_POSITIVE.replace("label: positive", "label: negative").replace("effect: no-grad", "effect: none"))
    assert execution_label.check_fixture(lying, obs)


def test_harness_detects_known_negative(tmp_path):
    p = _write(tmp_path, "neg.py", KNOWN_NEGATIVE)
    obs = execution_label.observe(p)
    assert execution_label.label_from_observation(obs) == "negative", obs
    assert execution_label.check_fixture(execution_label.parse_header(KNOWN_NEGATIVE), obs) == []
    lying = execution_label.parse_header(KNOWN_NEGATIVE.replace("label: negative", "label: positive").replace("effect: none", "effect: no-grad"))
    assert execution_label.check_fixture(lying, obs)


def test_harness_raises_and_unrelated_crash(tmp_path):
    obs = execution_label.observe(_write(tmp_path, "raises.py", KNOWN_RAISES))
    assert execution_label.effect_from_observation(obs) == "raises", obs
    assert obs["exception"]["origin"] == "backward"
    crash = execution_label.observe(_write(tmp_path, "crash.py", UNRELATED_CRASH))
    assert execution_label.label_from_observation(crash) == "error", crash
    assert execution_label.check_fixture(execution_label.parse_header(UNRELATED_CRASH), crash)


def test_harness_declared_effect_must_match(tmp_path):
    obs = execution_label.observe(_write(tmp_path, "raises.py", KNOWN_RAISES))
    wrong = execution_label.parse_header(KNOWN_RAISES.replace("effect: raises", "effect: no-grad"))
    assert execution_label.check_fixture(wrong, obs)


def test_markers_parse():
    text = "x = 1\ny = x.detach()  # expect: GRD101, GRD105\n"
    assert execution_label.parse_expect(text) == {("GRD101", 2), ("GRD105", 2)}
