"""Procedures from a subscriber's messages: the catalogue's checks, outcomes, timers, children,
answers matched to their own request, and what an engineer reads in a real capture."""
import json
from pathlib import Path

import pytest

from chrtool.errors import ChrtoolError
from chrtool.inputs.pipeline import Run
from chrtool.link.correlate import correlate
from chrtool.link.procedures import Catalogue, build, catalogue
from chrtool.table.events import CAUSE_CODES, PROTO
from eventsutil import events
from oracle import CAPTURES

S1AP, NAS, GTP, DIA, CHR = (PROTO[p] for p in ("S1AP", "NAS-EPS", "GTPv2", "Diameter", "CHR"))
ENB, MME, SGW, PGW, HSS = (bytes([10, 0, 0, i]) for i in (1, 2, 3, 4, 5))
IMSI = "001010000000031"
S = 10**9
INITIAL_UE, DL_NAS, UL_NAS = 12, 11, 13
ICS_REQ, ICS_RESP, ICS_FAIL = 9, (1 << 8) | 9, (2 << 8) | 9
RELEASE_CMD, RELEASE_COMPLETE = 23, (1 << 8) | 23
ATTACH_REQ, ATTACH_ACCEPT, ATTACH_COMPLETE, ATTACH_REJECT = 0x41, 0x42, 0x43, 0x44
AUTH_REQ, AUTH_RESP, AUTH_FAIL = 0x52, 0x53, 0x5C
PDN_REQ, PDN_REJECT, SERVICE_REQ = 0xD0, 0xD1, 12 << 8     # ServiceRequest: by its header


class Story:
    """One subscriber's rows, built in time order: S1AP carriers with their NAS inside."""

    def __init__(self):
        self.rows = []

    def s1(self, t, msg, up, nas=(), **kw):
        src, dst = (ENB, MME) if up else (MME, ENB)
        row = len(self.rows)
        self.rows.append(dict(frame=row + 1, ts_ns=int(t * S), proto=S1AP, msg=msg,
                              procedure_code=msg & 0xFF, mme_ue_s1ap_id=7 if msg != INITIAL_UE else -1,
                              enb_ue_s1ap_id=3, src=src, dst=dst, **kw))
        parent = row
        for code, extra in nas:
            self.rows.append(dict(frame=row + 1, ts_ns=int(t * S), proto=NAS, msg=code,
                                  parent=parent, src=src, dst=dst, **extra))
            parent = len(self.rows) - 1 if code in (ATTACH_REQ, ATTACH_REJECT) else parent
        return row

    def exchange(self, t, proto, msg, src, dst, seq, **kw):
        self.rows.append(dict(frame=len(self.rows) + 1, ts_ns=int(t * S), proto=proto, msg=msg,
                              seq=seq, src=src, dst=dst, imsi=IMSI, **kw))
        return len(self.rows) - 1

    def procedures(self):
        ev = events(self.rows)
        s = correlate(ev)
        ue = s.find(imsi=IMSI)[0]
        return ev, build(ev, s, [ue.index])


def by_kind(procs):
    out = {}
    for p in procs:
        out.setdefault(p.kind, []).append(p)
    return out


def descendants(procs, p):
    out = []
    for c in p.children:
        out += [procs[c], *descendants(procs, procs[c])]
    return out


def attach_start(story, t=0.0):
    story.s1(t, INITIAL_UE, True, [(ATTACH_REQ, {"imsi": IMSI}), (PDN_REQ, {})])


def test_a_successful_attach_holds_its_s6a_s11_and_radio_children():
    st = Story()
    attach_start(st)
    st.exchange(0.01, DIA, (318 << 1) | 1, MME, HSS, 1)                  # AIR
    st.exchange(0.02, DIA, 318 << 1, HSS, MME, 1, cause_proto=CAUSE_CODES["DIAMETER"],
                cause_value=2001)
    st.s1(0.03, DL_NAS, False, [(AUTH_REQ, {})])
    st.s1(0.04, UL_NAS, True, [(AUTH_RESP, {})])
    st.exchange(0.05, GTP, 32, MME, SGW, 9)                              # Create Session
    st.exchange(0.06, GTP, 33, SGW, MME, 9, cause_proto=CAUSE_CODES["GTPv2"], cause_value=16)
    st.s1(0.07, ICS_REQ, False, [(ATTACH_ACCEPT, {})])
    st.s1(0.08, ICS_RESP, True)
    st.s1(0.09, UL_NAS, True, [(ATTACH_COMPLETE, {})])
    ev, procs = st.procedures()
    k = by_kind(procs)
    attach = k["attach"][0]
    assert attach.outcome == "success" and attach.answered_by == "UE"
    under = descendants(procs, attach)
    assert sorted(p.kind for p in under) == ["authentication", "create-session",
                                              "initial-context-setup", "pdn-connectivity",
                                              "s6a-authentication"]
    assert procs[k["create-session"][0].parent].kind == "pdn-connectivity"   # ESM asked for it
    assert all(p.outcome == "success" for p in under if p.kind != "pdn-connectivity")
    assert k["s6a-authentication"][0].answered_by == "HSS"
    assert k["create-session"][0].answered_by == "SGW"
    assert k["create-session"][0].failing_cause() is None        # "Request accepted" explains nothing
    # the carriers of the attach's NAS messages are in it: InitialUEMessage, ICS Request, Uplink
    assert {int(ev.cols["frame"][r]) for r in attach.rows} == {1, 12, 15}


def test_a_gateway_reject_is_a_reject_named_after_the_gateway_and_the_attach_too():
    st = Story()
    attach_start(st)
    st.exchange(0.05, GTP, 32, MME, SGW, 9)
    st.exchange(0.06, GTP, 33, SGW, MME, 9, cause_proto=CAUSE_CODES["GTPv2"], cause_value=73)
    st.s1(0.07, DL_NAS, False, [(ATTACH_REJECT, {"cause_proto": CAUSE_CODES["EMM"], "cause_value": 19}),
                                 (PDN_REJECT, {"cause_proto": CAUSE_CODES["ESM"], "cause_value": 26})])
    _, procs = st.procedures()
    k = by_kind(procs)
    cs = k["create-session"][0]
    assert (cs.outcome, cs.answered_by, cs.failing_cause()["value"]) == ("reject", "SGW", 73)
    assert k["attach"][0].outcome == "reject" and k["attach"][0].answered_by == "MME"
    assert k["pdn-connectivity"][0].outcome == "reject"
    assert k["pdn-connectivity"][0].failing_cause()["value"] == 26


def test_no_answer_within_the_timer_is_a_timeout_naming_the_silent_node():
    st = Story()
    attach_start(st)
    st.exchange(0.05, GTP, 32, MME, SGW, 9)                  # the SGW never answers
    st.s1(30.0, UL_NAS, True, [(0x4C, {})])                   # the UE is still there 30 s later
    _, procs = st.procedures()
    cs = by_kind(procs)["create-session"][0]
    assert cs.outcome == "timeout" and cs.answered_by == "SGW"
    assert cs.timer == "T3xN3" and cs.end_ns == int(0.05 * S) + 10 * S


def test_a_procedure_the_inputs_end_inside_stays_open():
    st = Story()
    attach_start(st)
    st.exchange(0.05, GTP, 32, MME, SGW, 9)
    _, procs = st.procedures()
    assert by_kind(procs)["create-session"][0].outcome == "open"
    assert by_kind(procs)["attach"][0].outcome == "open"


def test_a_retry_abandons_the_unanswered_attempt():
    st = Story()
    attach_start(st, 0.0)
    attach_start(st, 2.0)                                       # before T3410 ran out
    _, procs = st.procedures()
    attaches = by_kind(procs)["attach"]
    assert [a.outcome for a in attaches] == ["abandoned", "open"]


def test_answers_go_to_their_own_request():
    """Two Create Sessions in flight (two PDNs): each response ends its own request."""
    st = Story()
    st.exchange(0.0, GTP, 32, MME, SGW, 100)
    st.exchange(0.1, GTP, 32, MME, SGW, 101)
    st.exchange(0.2, GTP, 33, SGW, MME, 101, cause_proto=CAUSE_CODES["GTPv2"], cause_value=16)
    st.exchange(0.3, GTP, 33, SGW, MME, 100, cause_proto=CAUSE_CODES["GTPv2"], cause_value=73)
    _, procs = st.procedures()
    first, second = by_kind(procs)["create-session"]
    assert (first.outcome, second.outcome) == ("reject", "success")
    assert first.end_ns == int(0.3 * S) and second.end_ns == int(0.2 * S)


def test_a_service_request_ends_with_its_initial_context_setup():
    st = Story()
    st.s1(0.0, INITIAL_UE, True, [(SERVICE_REQ, {"imsi": IMSI})])
    st.s1(0.1, ICS_REQ, False)
    st.s1(0.2, ICS_FAIL, True, cause_proto=CAUSE_CODES["S1AP"], cause_group=0, cause_value=26)
    _, procs = st.procedures()
    k = by_kind(procs)
    assert k["initial-context-setup"][0].outcome == "failure"
    sr = k["service-request"][0]
    assert (sr.outcome, sr.answered_by) == ("failure", "eNB")


def test_synch_failure_then_success_are_two_authentications():
    st = Story()
    attach_start(st)
    st.s1(0.1, DL_NAS, False, [(AUTH_REQ, {})])
    st.s1(0.2, UL_NAS, True, [(AUTH_FAIL, {"cause_proto": CAUSE_CODES["EMM"], "cause_value": 21})])
    st.s1(0.3, DL_NAS, False, [(AUTH_REQ, {})])
    st.s1(0.4, UL_NAS, True, [(AUTH_RESP, {})])
    _, procs = st.procedures()
    auths = by_kind(procs)["authentication"]
    assert [(a.outcome, (a.failing_cause() or {}).get("value")) for a in auths] == \
        [("abandoned", 21), ("success", None)]      # the MME asked again: no failure of its own


def test_chr_radio_events_are_one_record_procedures():
    rows = [dict(frame=1, ts_ns=S, proto=CHR, msg=272, imsi=IMSI,
                 cause_proto=CAUSE_CODES["CHR"], cause_group=5, cause_value=0),   # RLF t310
            dict(frame=2, ts_ns=2 * S, proto=CHR, msg=257, imsi=IMSI,
                 cause_proto=CAUSE_CODES["CHR"], cause_group=2, cause_value=1)]   # setup rejected
    ev = events(rows)
    s = correlate(ev)
    procs = build(ev, s)
    assert [(p.kind, p.outcome, p.answered_by) for p in procs] == \
        [("radio-link-failure", "failure", "eNB"), ("rrc-setup", "failure", "eNB")]


# ------------------------------------------------------------------ the catalogue's checks
@pytest.mark.parametrize("entry, message", [
    ({"kind": "x", "interface": "S1-MME", "start": ["NAS-EPS AtachRequest"]}, "no message 'AtachRequest'"),
    ({"kind": "x", "interface": "S1-MME", "start": ["NAS AttachRequest"]}, "no protocol 'NAS'"),
    ({"kind": "x", "interface": "S1-MME", "strat": ["NAS-EPS AttachRequest"]}, "unknown key 'strat'"),
    ({"kind": "x", "interface": "S7", "start": ["NAS-EPS AttachRequest"]}, "interface must be"),
    ({"kind": "x", "interface": "S1-MME", "start": ["NAS-EPS AttachRequest"], "children": ["y"]},
     "child 'y' is not a procedure kind"),
    ({"kind": "x", "interface": "S1-MME", "start": ["NAS-EPS AttachRequest"], "timer": 5},
     "timer is [name, seconds]"),
])
def test_a_mistake_in_the_catalogue_names_the_procedure(entry, message):
    with pytest.raises(ChrtoolError, match="procedure x") as err:
        Catalogue([entry])
    assert message in str(err.value)


def test_the_shipped_catalogue_loads_and_covers_the_issue_s_procedures():
    kinds = set(catalogue().kinds)
    assert {"attach", "detach", "service-request", "tau", "authentication", "security-mode",
            "identity", "initial-context-setup", "erab-setup", "erab-modification", "erab-release",
            "context-release", "context-modification", "s1-handover", "x2-handover", "path-switch",
            "endc-addition", "endc-modification", "endc-release", "endc-release-required",
            "endc-change", "pdn-connectivity", "pdn-disconnect", "bearer-activation",
            "create-session", "modify-bearer", "delete-session", "release-access-bearers",
            "create-bearer", "update-bearer", "delete-bearer", "downlink-data-notification",
            "s6a-authentication", "s6a-update-location", "s6a-purge", "s6a-cancel-location",
            "s6a-insert-subscriber-data", "rrc-setup", "rrc-reestablishment",
            "radio-link-failure", "chr-handover", "scg-failure"} <= kinds


# ------------------------------------------------------------------ a real capture
def test_open5gs_attach_capture_reads_as_an_engineer_reads_it():
    """From tshark on testattach.pcapng: 901707364000065's attach is rejected with EMM #8 after
    the HSS answered its AIR with Experimental-Result 5001 (frames 112-117); 901707364000060
    authenticates with a synch failure #21 (frames 177/178) then a MAC failure #20 (181/182);
    its first attach runs Create Session on S11 (54/65, SGW) and on S5 (57/62, PGW)."""
    ev = Run([str(CAPTURES / "open5gs" / "testattach.pcapng")]).events()
    s = correlate(ev)
    procs = build(ev, s)
    frame = ev.cols["frame"]

    def find(imsi, kind, first_frame):
        ue = s.find(imsi=imsi)[0]
        return next(p for p in procs if p.ue == ue.index and p.kind == kind
                    and int(frame[p.rows[0]]) == first_frame)

    rejected = find("901707364000065", "attach", 112)
    assert rejected.outcome == "reject" and rejected.failing_cause()["value"] == 8
    air = find("901707364000065", "s6a-authentication", 115)
    assert (air.outcome, air.answered_by, air.failing_cause()["value"]) == ("reject", "HSS", 5001)
    assert air.parent == rejected.index
    resync = find("901707364000060", "authentication", 177)
    mac = find("901707364000060", "authentication", 181)
    assert (resync.outcome, resync.failing_cause()["value"]) == ("abandoned", 21)   # asked again
    assert (mac.outcome, mac.failing_cause()["value"]) == ("reject", 20)   # Authentication Reject
    s11 = find("901707364000060", "create-session", 54)
    s5 = find("901707364000060", "create-session", 57)
    assert (s11.interface, s11.answered_by, s11.outcome) == ("S11", "SGW", "success")
    assert (s5.interface, s5.answered_by, s5.outcome) == ("S5", "PGW", "success")
    assert s5.parent == s11.index
    assert sorted(int(frame[r]) for r in s5.rows) == [57, 62]


# ------------------------------------------------------------------ golden subscribers
GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_real_captures_give_the_subscribers_an_engineer_reads_in_them(path):
    """Each golden file is written from a tshark reading of the capture (its `read_with` and
    `notes`): the subscribers, their S1 connections and their procedures with outcomes."""
    want = json.loads(path.read_text())
    ev = Run([str(CAPTURES / want["capture"])]).events()
    s = correlate(ev)
    procs = build(ev, s)
    frame, mme, enb = (ev.cols[k] for k in ("frame", "mme_ue_s1ap_id", "enb_ue_s1ap_id"))
    # every IMSI of the capture; the subscribers written out in full (all, unless `imsis` says
    # the capture holds more than are written)
    assert sorted(u.imsi for u in s.ues if u.imsi) == sorted(
        want.get("imsis") or [x["imsi"] for x in want["subscribers"]])
    for sub in want["subscribers"]:
        ue = s.find(imsi=sub["imsi"])[0]
        rows = s.rows_of(ue.index)
        s1 = rows[(ev.cols["proto"][rows] == PROTO["S1AP"]) & (mme[rows] >= 0) & (enb[rows] >= 0)]
        assert sorted({(int(enb[r]), int(mme[r])) for r in s1}) == sorted(map(tuple, sub["s1"]))
        mine = [p for p in procs if p.ue == ue.index]       # numbered within the subscriber
        got = [[p.kind, p.outcome, p.interface, int(frame[p.rows[0]]), int(frame[p.rows[-1]]),
                mine[p.parent].kind if p.parent >= 0 else None] for p in mine]
        assert got == sub["procedures"]


def test_a_release_in_the_middle_of_an_initial_context_setup_interrupts_it():
    st = Story()
    st.s1(0.0, INITIAL_UE, True, [(SERVICE_REQ, {"imsi": IMSI})])
    st.s1(0.1, ICS_REQ, False)
    st.s1(0.5, 18, True, cause_proto=CAUSE_CODES["S1AP"], cause_group=0, cause_value=21)
    st.s1(0.6, RELEASE_CMD, False)
    st.s1(0.7, RELEASE_COMPLETE, True)
    _, procs = st.procedures()
    k = by_kind(procs)
    assert k["initial-context-setup"][0].outcome == "interrupted"
    assert k["service-request"][0].outcome == "interrupted"     # it follows its ICS
    release = k["context-release"][0]
    assert release.outcome == "success" and release.failing_cause()["value"] == 21


def test_a_regular_bearer_deactivation_is_no_failure():
    st = Story()
    st.s1(0.0, INITIAL_UE, True, [(SERVICE_REQ, {"imsi": IMSI})])
    st.s1(0.1, DL_NAS, False, [(0xCD, {"cause_proto": CAUSE_CODES["ESM"], "cause_value": 36})])
    st.s1(0.2, UL_NAS, True, [(0xCE, {})])
    _, procs = st.procedures()
    p = by_kind(procs)["bearer-deactivation"][0]
    assert p.outcome == "success" and p.failing_cause() is None
    assert p.causes[0][1]["value"] == 36          # still shown among its causes


def test_an_s1_procedure_stays_on_its_own_connection():
    """testcups frames 79-103 and 455, as a story: the UE has moved to a new connection when its
    eNB asks to release the old one; the MME, which dropped that connection, answers with an Error
    Indication (unknown MME UE S1AP ID). That ends the old connection's release as a failure; the
    new connection's release is a procedure of its own, and its Complete ends only it."""
    from stories import Story as Named, attached

    def s1c(group, name):
        return ("S1AP", group, name)
    st = attached(Named())                                     # on eNB UE ID 3 / MME UE ID 7
    st.s1(2.0, "InitialUEMessage", nas=["ServiceRequest"], enb_id=4, mme_id=-1)
    st.s1(2.05, "InitialContextSetupRequest", enb_id=4, mme_id=8)
    st.s1(2.1, "UEContextReleaseRequest", cause=s1c("radioNetwork", "user-inactivity"))
    st.s1(2.11, "ErrorIndication", cause=s1c("radioNetwork", "unknown-mme-ue-s1ap-id"))
    st.s1(2.2, "InitialContextSetupResponse", enb_id=4, mme_id=8)
    st.s1(4.0, "UEContextReleaseCommand", cause=s1c("nas", "normal-release"), enb_id=4, mme_id=8)
    st.s1(4.01, "UEContextReleaseComplete", enb_id=4, mme_id=8)
    ev, s, procs = st.procedures()
    k = by_kind(procs)

    def at(p):
        return [round(int(ev.cols["ts_ns"][r]) / S, 3) for r in p.rows]
    old, new = k["context-release"]
    assert (old.outcome, old.answered_by, old.failing_cause()["name"]) == \
        ("failure", "MME", "unknown-mme-ue-s1ap-id")
    assert at(old) == [2.1, 2.11]
    assert (new.outcome, new.answered_by) == ("success", "eNB")
    assert at(new) == [4.0, 4.01]
    # the new connection's ICS is answered on its own connection, not cut by the old release
    ics = k["initial-context-setup"][-1]
    assert ics.outcome == "success" and ics.parent >= 0 and procs[ics.parent].kind == "service-request"
    assert old.parent < 0 or procs[old.parent].conn == old.conn
