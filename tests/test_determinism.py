"""The same input gives the same output on every run: nothing in a finding may depend on the
order Python iterates a set of strings in, which changes with PYTHONHASHSEED."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEEDS = ("1", "2", "3", "4")


def _check_output(seed: str) -> str:
    command = [sys.executable, "-m", "gradls", "check", str(FIXTURES), "--no-cache", "--exit-zero",
               "--output-format", "json"]
    env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=FIXTURES.parent, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_fixture_findings_do_not_depend_on_the_hash_seed():
    outputs = {seed: _check_output(seed) for seed in SEEDS}
    first = outputs[SEEDS[0]]
    assert '"GRD121"' in first  # the case whose message once changed with the seed is in there
    for seed, output in outputs.items():
        assert output == first, f"PYTHONHASHSEED={seed} changed the findings"
