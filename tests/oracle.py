"""Reference oracles for tests: where the captures and samples are, and tshark.

tshark is found in one place, `tshark_path()`: tests that need it are skipped when it is missing,
except under CI (env CI set), where a missing tshark is a failure (the oracle checks must run
there). Tests get it through the `tshark` fixture of tests/conftest.py (a `Tshark`) or through the
helpers below, which all go through `tshark_path()`.
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
    """The tshark executable; skips the test without it, fails it under CI."""
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is required under CI (install it: apt-get install tshark)")
        pytest.skip("tshark not installed")
    return path


class Tshark:
    """tshark as an oracle: `run` any arguments on a capture, or read fields, JSON, problems.

    `options` go before every command's own arguments (e.g. preferences that turn checks on)."""

    def __init__(self, path, options=()):
        self.path = path
        self.options = tuple(options)

    def with_options(self, *options):
        return Tshark(self.path, self.options + options)

    def command(self, *args):
        """stdout of `tshark ARGS` (no capture: -G reports, --version)."""
        return subprocess.run([self.path, *args], capture_output=True, text=True,
                              check=True).stdout

    def run(self, capture, *args):
        return self.command("-n", "-r", str(capture), *self.options, *args)

    def fields(self, capture, *fields, filter=None, extra=(), aggregator=","):
        """One row (list of strings) per frame; several occurrences of a field are joined with
        `aggregator`."""
        args = [*extra, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                "-E", f"aggregator={aggregator}"]
        for f in fields:
            args += ["-e", f]
        if filter:
            args += ["-Y", filter]
        return [line.split("\t") for line in self.run(capture, *args).splitlines()]

    def json(self, capture, filter=None, extra=()):
        return json.loads(self.run(capture, *extra, "-T", "json",
                                   *(["-Y", filter] if filter else [])))

    def problems(self, capture):
        """Frames tshark finds malformed or flags with an expert error (bad checksums included
        when the options turn the checks on)."""
        return self.fields(capture, "frame.number", "_ws.expert.message",
                           filter='_ws.malformed || _ws.expert.severity == "Error"')


def tshark():
    """A `Tshark` (skipped without tshark, failed under CI): for helpers outside fixtures."""
    return Tshark(tshark_path())


def tshark_fields(path, fields, display_filter=None, extra=()):
    """Run `tshark -T fields` and return rows as lists of strings (one per frame)."""
    return tshark().fields(path, *fields, filter=display_filter, extra=extra)


def tshark_json(path, display_filter=None):
    return tshark().json(path, display_filter)
