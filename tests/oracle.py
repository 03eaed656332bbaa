"""Reference oracles for tests: where the captures and samples are, and tshark.

Tests that need tshark are skipped when it is missing, except under CI (env CI set), where a
missing tshark is a failure: the oracle checks must run there.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "tests" / "data" / "captures"
SAMPLES = ROOT / "samples"


def tshark_path():
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is required under CI (install it: apt-get install tshark)")
        pytest.skip("tshark not installed")
    return path


def tshark_fields(path, fields, display_filter=None, extra=()):
    """Run `tshark -T fields` and return rows as lists of strings (one per frame)."""
    cmd = [tshark_path(), "-n", "-r", str(path), "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    cmd += list(extra)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def tshark_json(path, display_filter=None):
    cmd = [tshark_path(), "-n", "-r", str(path), "-T", "json"]
    if display_filter:
        cmd += ["-Y", display_filter]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)

