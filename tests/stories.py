"""One subscriber's signalling written by message and cause names, for tests of linking,
procedures and diagnosis: Story().s1(...).gtp(...).chr(...).findings().

Rows are built as the decoders would emit them (numbers looked up from the protocol registry by
name), so a test reads like the ladder an engineer draws: who sent what, when, with which cause.
Every row carries the subscriber's IMSI, so linking is never in question here (it has its own
tests); procedures and diagnosis are.
"""
from functools import lru_cache

from chrtool.diagnose.engine import diagnose_ue
from chrtool.link.correlate import correlate
from chrtool.link.directions import ENB as ENB_ROLE, s1ap_sender
from chrtool.link.procedures import build
from chrtool.protocols import BY_NAME
from chrtool.table import names
from chrtool.table.events import CAUSE_CODES, ITEM_KEYS, PROTO
from eventsutil import events

ADDR = {node: bytes([10, 0, 0, i]) for i, node in enumerate(("eNB", "MME", "SGW", "PGW", "HSS", "gNB",
                                                             "eNB2"), 1)}
IMSI = "001010000000042"
PLMN_00101 = 0x00F110
ECI = (4097 << 8) | 1
S = 10**9
# GTPv2 F-TEID interface type of each sender's control plane (29.274 8.22)
GTP_FTEID = {("MME", "SGW"): 10, ("SGW", "MME"): 11, ("SGW", "PGW"): 6, ("PGW", "SGW"): 7}


@lru_cache(maxsize=None)
def code(proto, name):
    """The message code chrtool's decoders give `name` of `proto`."""
    p = PROTO[proto]
    spans = {"S1AP": range(0, 3 << 8), "X2AP": range(0, 3 << 8), "NAS-EPS": range(0, 0x1000),
             "GTPv2": range(0, 256), "Diameter": range(0, 1 << 10), "CHR": range(0, 0x400)}[proto]
    for c in spans:
        if names.msg_name(p, c) == name:
            return c
    raise KeyError(f"{proto} has no message {name!r}")


@lru_cache(maxsize=None)
def cause_code(proto, group, value):
    """(cause_proto, group, value) numbers for a cause written by names: ("S1AP", "radioNetwork",
    "cell-not-available"), ("EMM", None, 7), ("DIAMETER_EXP", None, 5420), ("CHR", "rlf",
    "t310-Expiry")."""
    cp = CAUSE_CODES[proto]
    table = BY_NAME[{"EMM": "NAS-EPS", "ESM": "NAS-EPS", "DIAMETER": "Diameter",
                     "DIAMETER_EXP": "Diameter"}.get(proto, proto)].table
    if proto in ("S1AP", "X2AP"):
        g = table.CAUSE_GROUPS.index(group)
        return cp, g, table.CAUSES[group].index(value)
    if proto == "CHR":
        g = next(k for k, n in table.CAUSE_KINDS.items() if n == group)
        return cp, g, next(v for v in range(256) if table.cause_name(g, v) == value)
    return cp, (10415 if proto == "DIAMETER_EXP" else -1), value


def _cause_cols(c):
    if c is None:
        return {}
    cp, g, v = cause_code(*c)
    return {"cause_proto": cp, "cause_group": g, "cause_value": v}


class Story:
    def __init__(self, imsi=IMSI, file="story.pcap"):
        self.imsi, self.file, self.rows = imsi, file, []
        self.seq = 0

    def _row(self, t, proto, msg, src, dst, **kw):
        row = dict(frame=len({r["frame"] for r in self.rows}) + 1, ts_ns=int(t * S), proto=PROTO[proto],
                   msg=code(proto, msg), src=ADDR[src], dst=ADDR[dst], imsi=self.imsi, **kw)
        self.rows.append(row)
        return len(self.rows) - 1

    def s1(self, t, msg, nas=(), cause=None, items=(), enb="eNB", eci=ECI, **kw):
        """An S1AP message (direction from the registry) with the NAS messages it carries:
        nas = [("AttachReject", ("EMM", None, 7)), ("PDNConnectivityReject", ("ESM", None, 27))]."""
        up = s1ap_sender(code("S1AP", msg)) == ENB_ROLE
        src, dst = (enb, "MME") if up else ("MME", enb)
        r = self._row(t, "S1AP", msg, src, dst, procedure_code=code("S1AP", msg) & 0xFF,
                      mme_ue_s1ap_id=kw.pop("mme_id", 7), enb_ue_s1ap_id=kw.pop("enb_id", 3),
                      eci=eci, plmn=PLMN_00101,
                      items=[(ITEM_KEYS["cause"], *cause_code(*c), -1) for c in items],
                      **_cause_cols(cause), **kw)
        frame = self.rows[r]["frame"]
        parent = r
        for entry in nas:
            name, c = (entry, None) if isinstance(entry, str) else entry
            self.rows.append(dict(frame=frame, ts_ns=int(t * S), proto=PROTO["NAS-EPS"],
                                  msg=code("NAS-EPS", name), parent=parent, src=ADDR[src],
                                  dst=ADDR[dst], imsi=self.imsi, **_cause_cols(c)))
            if name in ("AttachRequest", "AttachReject", "AttachAccept"):
                parent = len(self.rows) - 1          # the ESM message rides inside
        return self

    def gtp(self, t, msg, src, dst, cause=None, seq=None):
        """A GTPv2 message; a response takes its request's sequence number (seq=None: a request
        numbers itself, a response answers the latest request between the same two nodes)."""
        if seq is None:
            if msg.endswith("Request"):
                self.seq += 1
                seq = self.seq
            else:
                seq = next(r["seq"] for r in reversed(self.rows) if r["proto"] == PROTO["GTPv2"]
                           and r["src"] == ADDR[dst] and r["dst"] == ADDR[src])
        items = [(ITEM_KEYS["fteid"], GTP_FTEID[(src, dst)], 1, -1, -1)] if (src, dst) in GTP_FTEID \
            and cause is None else []
        answer = None if msg.endswith("Request") else ("GTPv2", None, cause or 16)
        self._row(t, "GTPv2", msg, src, dst, seq=seq, items=items, **_cause_cols(answer))
        return self

    def dia(self, t, msg, cause=None):
        """An S6a message between MME and HSS: msg 'Update-Location-Request' etc."""
        request = msg.endswith("-Request")
        src, dst = ("MME", "HSS") if request else ("HSS", "MME")
        if request:
            self.seq += 1
        e2e = self.seq
        c = cause if cause else (None if request else ("DIAMETER", None, 2001))
        self._row(t, "Diameter", msg, src, dst, seq=e2e, e2e=e2e, **_cause_cols(c))
        return self

    def x2(self, t, msg, src="eNB", dst="gNB", cause=None, **kw):
        kw.setdefault("menb_ue_x2ap_id", 77)
        self._row(t, "X2AP", msg, src, dst, procedure_code=code("X2AP", msg) & 0xFF,
                  **_cause_cols(cause), **kw)
        return self

    def chr(self, t, event, cause=None, meas=(), eci=ECI, **kw):
        """A CHR record of the serving eNB: meas = [("rsrp", -118), ("rsrp_neighbour", -95)]."""
        from chrtool._fast.events import MEAS_KINDS, MEAS_NEIGHBOUR, MEAS_SCALE
        kinds = {v: k for k, v in MEAS_KINDS.items()}
        items = []
        for kind, value in meas:
            flag = MEAS_NEIGHBOUR if kind.endswith("_neighbour") else 0
            kind = kind.removesuffix("_neighbour")
            items.append((ITEM_KEYS["meas"], kinds[kind] | flag, int(value * MEAS_SCALE[kind]), -1, -1))
        self._row(t, "CHR", event, "eNB", "eNB", eci=eci, plmn=PLMN_00101, items=items,
                  **_cause_cols(("CHR", *cause) if cause else None), **kw)
        for r in self.rows[-1:]:
            r["src"] = r["dst"] = b""                # records have no addresses
        return self

    # ------------------------------------------------------------------ reading it back
    def events(self):
        return events(self.rows, file=self.file)

    def procedures(self):
        ev = self.events()
        s = correlate(ev)
        return ev, s, build(ev, s, [s.find(imsi=self.imsi)[0].index])

    def reset(self, t, cause, ids=(), sender="eNB"):
        """An S1 Reset on the eNB-MME association (no IMSI: it is not the subscriber's message),
        of the connections with these MME UE S1AP IDs, or of the whole interface."""
        src, dst = (sender, "MME" if sender == "eNB" else "eNB")
        row = dict(frame=len({r["frame"] for r in self.rows}) + 1, ts_ns=int(t * S),
                   proto=PROTO["S1AP"], msg=code("S1AP", "Reset"), procedure_code=14,
                   src=ADDR[src], dst=ADDR[dst], dport=36412 if sender == "eNB" else 40000,
                   sport=40000 if sender == "eNB" else 36412, **_cause_cols(cause),
                   items=[(ITEM_KEYS["s1ap_ids"], m, -1, 92, -1) for m in ids])
        self.rows.append(row)
        return self

    def findings(self, **kw):
        from chrtool.diagnose.cells import CauseIndex
        ev = self.events()
        s = correlate(ev)
        return diagnose_ue(ev, s, s.find(imsi=self.imsi)[0], causes=CauseIndex.of_events(ev, s), **kw)


def attach_start(st, t=0.0):
    return st.s1(t, "InitialUEMessage", nas=["AttachRequest", "PDNConnectivityRequest"], mme_id=-1)


def authenticated(st, t=0.0):
    """Attach Request, AIR/AIA, authentication and security mode: ready for the ULR at t+0.5."""
    attach_start(st, t)
    st.dia(t + 0.01, "Authentication-Information-Request").dia(t + 0.03, "Authentication-Information-Answer")
    st.s1(t + 0.05, "DownlinkNASTransport", nas=["AuthenticationRequest"])
    st.s1(t + 0.1, "UplinkNASTransport", nas=["AuthenticationResponse"])
    st.s1(t + 0.15, "DownlinkNASTransport", nas=["SecurityModeCommand"])
    st.s1(t + 0.2, "UplinkNASTransport", nas=["SecurityModeComplete"])
    return st


def attached(st, t=0.0):
    """A complete attach with the S6a, S11 and S5 legs, done by t+1."""
    authenticated(st, t)
    st.dia(t + 0.3, "Update-Location-Request").dia(t + 0.32, "Update-Location-Answer")
    st.gtp(t + 0.4, "CreateSessionRequest", "MME", "SGW")
    st.gtp(t + 0.41, "CreateSessionRequest", "SGW", "PGW").gtp(t + 0.42, "CreateSessionResponse", "PGW", "SGW")
    st.gtp(t + 0.43, "CreateSessionResponse", "SGW", "MME")
    st.s1(t + 0.5, "InitialContextSetupRequest", nas=["AttachAccept", "ActivateDefaultEPSBearerContextRequest"])
    st.s1(t + 0.55, "InitialContextSetupResponse")
    st.s1(t + 0.6, "UplinkNASTransport", nas=["AttachComplete", "ActivateDefaultEPSBearerContextAccept"])
    st.gtp(t + 0.65, "ModifyBearerRequest", "MME", "SGW").gtp(t + 0.66, "ModifyBearerResponse", "SGW", "MME")
    return st
