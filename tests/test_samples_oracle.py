"""The first vertical slice against tshark: on every shipped sample capture, chrtool's frames,
S1AP procedure codes and IDs, NAS message types, EMM causes and IMSIs agree with tshark, and the
diagnosis finds exactly the expected findings with evidence frames tshark confirms."""
import json
from collections import defaultdict

import pytest
from click.testing import CliRunner

from chrtool.cli import main
from chrtool.table.events import PROTO
from chrtool.inputs.pipeline import Run
from oracle import SAMPLES, tshark_fields

CAPTURES = sorted(p for p in SAMPLES.glob("*.pcap*") if not p.name.endswith(".json"))
# expected findings of the sample captures (the CHR samples have their own expected decodes)
EXPECTED = sorted(p for p in SAMPLES.glob("*.expected.json") if "ues" in json.loads(p.read_text()))
FIELDS = ["frame.number", "s1ap.procedureCode", "s1ap.MME_UE_S1AP_ID", "s1ap.ENB_UE_S1AP_ID",
          "nas_eps.nas_msg_emm_type", "nas_eps.emm.cause", "e212.imsi"]
DIAMETER_FIELDS = ["diameter.cmd.code", "diameter.flags.request", "diameter.Experimental-Result-Code",
                   "diameter.Result-Code"]


def ours(path):
    ev = Run([str(path)]).events()
    per_frame = defaultdict(lambda: defaultdict(list))
    c = ev.cols
    for r in range(ev.n):
        f = per_frame[int(c["frame"][r])]
        if c["proto"][r] == PROTO["S1AP"]:
            f["pc"].append(str(c["procedure_code"][r]))
            for k, col in (("mme", "mme_ue_s1ap_id"), ("enb", "enb_ue_s1ap_id")):
                if c[col][r] >= 0:
                    f[k].append(str(c[col][r]))
        elif c["proto"][r] == PROTO["NAS-EPS"]:
            if c["msg"][r] < 0xC0 and c["msg"][r] >= 0:
                f["emm"].append(f"0x{int(c['msg'][r]):02x}")
            if c["cause_proto"][r] == 3:
                f["cause"].append(str(c["cause_value"][r]))
            if ev.digits("imsi", r):
                f["imsi"].append(ev.digits("imsi", r))
    return per_frame


def split(value):
    return [v for v in value.split(",") if v]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_decode_agrees_with_tshark_frame_by_frame(path):
    mine = ours(path)
    rows = tshark_fields(path, FIELDS)
    s1ap_frames = 0
    for frame, pc, mme, enb, emm, cause, imsi in rows:
        if not pc:
            continue
        s1ap_frames += 1
        f = mine[int(frame)]
        assert f["pc"] == split(pc), frame
        assert sorted(set(f["mme"])) == sorted(set(split(mme))), frame
        assert sorted(set(f["enb"])) == sorted(set(split(enb))), frame
        assert f["emm"] == split(emm), frame
        assert f["cause"] == split(cause), frame
        assert sorted(set(f["imsi"])) == sorted(set(split(imsi))), frame
    assert s1ap_frames > 0
    assert sum(1 for f in mine.values() if f["pc"]) == s1ap_frames


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.name)
def test_diagnosis_matches_expected_findings_and_tshark_confirms_evidence(expected_path):
    expected = json.loads(expected_path.read_text())
    capture = SAMPLES / expected["file"]
    confirm = {int(r[0]): r for r in tshark_fields(capture, FIELDS + DIAMETER_FIELDS)}
    for ue in expected["ues"]:
        result = CliRunner().invoke(main, ["diagnose", "--imsi", ue["imsi"], "--format", "json",
                                           str(SAMPLES)])
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert doc["imsi"] == ue["imsi"]
        assert len(doc["findings"]) == len(ue["findings"]), ue["imsi"]
        for got, want in zip(doc["findings"], ue["findings"]):
            for key in ("procedure", "failure_node", "interface", "cause", "time"):
                assert got[key] == want[key], (ue["imsi"], key)
            frames = {e["frame"] for e in got["evidence"] if e["file"].endswith(expected["file"])}
            assert set(want["evidence_frames"]) <= frames
            for e in got["evidence"]:             # tshark sees each cited message there
                row = confirm[e["frame"]]
                if e["msg"].endswith(("-Request", "-Answer")):
                    assert _diameter_name(row) == e["msg"], e
                    if e.get("cause"):
                        codes = split(row[-2]) + split(row[-1])   # experimental, result code
                        assert str(e["cause"]["value"]) in codes, e
                else:
                    assert any(_emm_name(t) == e["msg"] for t in split(row[4])), e
            # the MME's Attach Reject is evidence whoever raised the root cause
            reject = [e for e in got["evidence"] if e["msg"] == "AttachReject"][0]
            if want["cause"]["proto"] == "NAS-EPS":
                assert split(confirm[reject["frame"]][5]) == [str(want["cause"]["value"])]
            else:
                assert reject["cause"]["value"] == int(split(confirm[reject["frame"]][5])[0])


def _diameter_name(row):
    from chrtool.decoders.diameter_tables import COMMANDS
    code, request = split(row[len(FIELDS)])[0], split(row[len(FIELDS) + 1])[0]
    return f"{COMMANDS[int(code)]}-{'Request' if request in ('1', 'True') else 'Answer'}"


def _emm_name(hex_type):
    from chrtool.decoders.nas_eps_tables import EMM_MESSAGES
    return EMM_MESSAGES.get(int(hex_type, 16))
