"""Diagnosis on the real captures of ../shared/captures, against what an engineer reads in them
with tshark (golden/real_captures.json: the command, notes per capture, and per subscriber the
findings in time order as [node, cause protocol, cause value, frames of the root answer])."""
import json
from pathlib import Path

import pytest

from chrtool.diagnose.cells import CauseIndex
from chrtool.diagnose.engine import diagnose_ue
from chrtool.inputs.pipeline import Run
from chrtool.link.correlate import correlate
from oracle import CAPTURES

GOLDEN = json.loads((Path(__file__).parent / "golden" / "real_captures.json").read_text())
CASES = [(cap, imsi) for cap, spec in GOLDEN["captures"].items() for imsi in spec["subscribers"]]
_LINKED = {}


def linked(capture):
    if capture not in _LINKED:
        ev = Run([str(CAPTURES / capture)]).events()
        s = correlate(ev)
        _LINKED[capture] = (ev, s, CauseIndex.of_events(ev, s))
    return _LINKED[capture]


def _param(cap, imsi):
    gap = GOLDEN["captures"][cap].get("known_gaps", {}).get(imsi)
    return pytest.param(cap, imsi, marks=pytest.mark.xfail(reason=gap, strict=True) if gap else (),
                        id=f"{cap.split('/')[-1].split('.')[0]}-{imsi}")


@pytest.mark.parametrize("capture,imsi", [_param(c, i) for c, i in CASES])
def test_findings_are_what_an_engineer_reads_in_the_capture(capture, imsi):
    if not (CAPTURES / capture).exists():
        pytest.skip(f"{capture} not present")
    ev, s, causes = linked(capture)
    [ue] = s.find(imsi=imsi)
    got = diagnose_ue(ev, s, ue, causes=causes)
    want = GOLDEN["captures"][capture]["subscribers"][imsi]
    assert [(f["failure_node"], f["cause"]["proto"], f["cause"]["value"]) for f in got] == \
        [tuple(w[:3]) for w in want]
    for f, w in zip(got, want):
        assert set(w[3]) <= {e["frame"] for e in f["evidence"]}, f["evidence"]
