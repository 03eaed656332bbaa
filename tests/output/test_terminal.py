"""Text reports on a terminal: colour (rich) on a TTY, plain text in a pipe or with NO_COLOR, and
the same characters either way. Findings come first, then the procedures, then input problems.

The terminal is real: the command runs with its standard output on a pseudo-terminal.
"""
import json
import os
import pty
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from rich.console import Console

from chrtool.cli import main
from chrtool.output import procedures as ladder
from chrtool.output import report
from oracle import ROOT

ESC = re.compile(r"\x1b\[[0-9;]*m")
UE = "001010000000002"
INPUTS = ["samples/"]          # the sample capture, CHR (one damaged file: input problems), CSV


def on_a_terminal(*args, env=None):
    """stdout of `chrtool ARGS` written to a pseudo-terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "chrtool", *args], stdout=slave,
                            stderr=subprocess.DEVNULL, cwd=ROOT,
                            env={**os.environ, "TERM": "xterm-256color", **(env or {})})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:                 # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(master)
    assert proc.returncode == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")    # the tty's own line endings


def in_a_pipe(*args, env=None):
    return subprocess.run([sys.executable, "-m", "chrtool", *args], capture_output=True,
                          text=True, cwd=ROOT, check=True,
                          env={**os.environ, **(env or {})}).stdout


@pytest.mark.parametrize("command", [["diagnose", "--imsi", UE], ["timeline", "--imsi", UE]])
def test_colour_on_a_terminal_plain_in_a_pipe_and_the_same_text(command):
    coloured = on_a_terminal(*command, *INPUTS)
    plain = in_a_pipe(*command, *INPUTS)
    assert ESC.search(coloured) and "\x1b" not in plain
    assert ESC.sub("", coloured) == plain
    assert "\x1b" not in on_a_terminal(*command, *INPUTS, env={"NO_COLOR": "1"})


def test_a_pipe_gets_what_the_report_functions_give(monkeypatch):
    """In a pipe, diagnose text is diagnosis_text and timeline text timeline_text, unchanged."""
    monkeypatch.chdir(ROOT)
    doc = json.loads(CliRunner().invoke(main, ["diagnose", "--imsi", UE, "--format", "json",
                                               *INPUTS]).stdout)
    tl = json.loads(CliRunner().invoke(main, ["timeline", "--imsi", UE, "--format", "json",
                                              *INPUTS]).stdout)
    text = CliRunner().invoke(main, ["diagnose", "--imsi", UE, *INPUTS]).stdout
    assert text == report.diagnosis_text(doc, "en", tl)
    assert CliRunner().invoke(main, ["timeline", "--imsi", UE, *INPUTS]).stdout == \
        ladder.timeline_text(tl)
    # without the procedures it is the report as it was: findings, then problems
    bare = report.diagnosis_text(doc)
    assert "Procedures:" not in bare and bare.splitlines()[:3] == text.splitlines()[:3]


def test_findings_first_then_the_procedures_then_the_input_problems():
    lines = in_a_pipe("diagnose", "--imsi", UE, *INPUTS).splitlines()
    finding = lines.index(next(x for x in lines if x.startswith("Finding 1: ")))
    procs = lines.index("Procedures:")
    problems = [i for i, x in enumerate(lines) if x.startswith("input problem: ")]
    assert finding < procs < min(problems) and problems == list(range(problems[0], len(lines)))
    assert "attach [REJECT] S1-MME" in lines[procs + 1]


def test_rich_renders_the_same_characters_with_styles():
    doc = report.diagnosis_document(None, UE, None, None, None, ["x.pcap"], 1, [], ())
    tl = {"imsi": UE, "msisdn": None, "other_messages": [], "procedures": [
        {"kind": "attach", "interface": "S1-MME", "start": "2026-11-27T09:00:14.000000Z",
         "end": "2026-11-27T09:00:15.000000Z", "outcome": "reject", "answered_by": "MME",
         "timer": None, "link": "s-tmsi", "confidence": 0.8, "children": [],
         "cause": {"proto": "NAS-EPS", "group": "emm", "value": 7, "name": "EPS services not allowed"},
         "messages": [{"ts": "2026-11-27T09:00:14.000000Z", "file": "x.pcap", "frame": 3,
                       "proto": "S1AP", "msg": "InitialUEMessage", "link": "s-tmsi"}]}]}
    for styled, plain in ((report.diagnosis_styled(doc, "zh", tl), report.diagnosis_text(doc, "zh", tl)),
                          (ladder.timeline_styled(tl), ladder.timeline_text(tl))):
        console = Console(force_terminal=True, width=40, soft_wrap=True, highlight=False,
                          color_system="truecolor")
        with console.capture() as cap:
            console.print(styled, end="")
        out = cap.get()
        assert "\x1b[1;31m[REJECT]" in out                 # the outcome stands out
        assert ESC.sub("", out) == plain                     # not folded at 40 columns
