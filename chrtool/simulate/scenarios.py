"""A small discrete-event engine that plays UE procedures over S1-MME and records the ground truth.

Each UE follows a *scenario* (``SCENARIOS``), which is written as a timed list of S1AP steps
carrying ready-made NAS PDUs. The engine merges every UE's steps with the SCTP timers in one time
order and only then fills in what depends on that order: eNB/MME UE S1AP IDs (allocated lowest-free
per eNB and per MME and freed by UEContextReleaseComplete, so a later UE reuses a released UE's
IDs, as real nodes do), TSNs/SSNs, delayed or bundled SACKs (RFC 9260: within ``sack_delay`` or at
the second unacknowledged packet) and frame numbers. There is one SCTP association per eNB
(PPID 18, port 36412 both ends), optionally opened with INIT/COOKIE and an S1 Setup.

The result is a :class:`Capture`: time-ordered (ts_ns, IP packet) pairs, a log of every S1AP
message with its frame number and IDs, and one :class:`UeTruth` per UE whose findings name the
failure node, the cause object of DESIGN.md and the 1-based frame numbers of the evidence.
All randomness comes from ``random.Random`` seeded per UE/eNB, so output is reproducible.
"""
from __future__ import annotations

import datetime as dt
import heapq
import random
from dataclasses import dataclass, field
from typing import Callable, Sequence

from chrtool.simulate import nas_build as nas
from chrtool.simulate import s1ap_build as s1ap
from chrtool.simulate.pcap_writer import (LINKTYPE_ETHERNET, PORT_S1AP, PPID_S1AP, Association,
                                          write_pcap)

MS = 1_000_000
SCENARIOS = ("attach-ok", "attach-reject", "auth-failure")

# What the truth says about the causes the scenarios produce: the node that broke the procedure,
# every node a diagnosis may name instead (the MME rejects, the HSS subscription is behind it), and
# the category of DESIGN.md. Causes not listed fall back to ("MME", ["MME"], "core-reject").
EMM_CAUSE_TRUTH = {
    3: ("MME", ["MME", "HSS"], "subscription"),       # Illegal UE
    6: ("MME", ["MME", "HSS"], "user-terminal"),      # Illegal ME
    7: ("MME", ["MME", "HSS"], "subscription"),       # EPS services not allowed
    8: ("MME", ["MME", "HSS"], "subscription"),
    11: ("MME", ["MME", "HSS"], "subscription"),      # PLMN not allowed
    12: ("MME", ["MME", "HSS"], "subscription"),      # Tracking area not allowed
    13: ("MME", ["MME", "HSS"], "subscription"),      # Roaming not allowed in this TA
    14: ("MME", ["MME", "HSS"], "subscription"),
    15: ("MME", ["MME", "HSS"], "subscription"),      # No suitable cells in tracking area
    17: ("MME", ["MME"], "core-reject"),              # Network failure
    19: ("MME", ["MME", "SGW", "PGW"], "core-reject"),  # ESM failure
    21: ("UE", ["UE", "HSS"], "subscription"),        # Synch failure: USIM/HSS SQN out of step
    22: ("MME", ["MME"], "congestion"),
}

# typical delays in ms (uniformly drawn): UE incl. radio, MME processing, MME<->HSS over S6a,
# MME<->SGW/PGW session creation, eNB radio bearer set-up
UE, MME_, HSS, SGW, RADIO = (15, 45), (2, 8), (15, 40), (10, 30), (20, 60)


def utc_ns(text: str) -> int:
    """ns since the epoch from ISO text, read as UTC when it has no offset."""
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000


def iso(ts_ns: int) -> str:
    """ISO-8601 UTC with microseconds, the form chrtool's reports use: 2026-11-27T09:00:00.123456Z."""
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=ts_ns // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ------------------------------------------------------------------------------------ the network

@dataclass(frozen=True)
class Enb:
    """A macro eNB: its S1 address, 20-bit eNB ID and tracking area; cell n has ECI enb_id<<8 | n."""
    name: str
    ip: str
    enb_id: int
    tac: int
    plmn: str = "00101"

    @property
    def tai(self) -> tuple[str, int]:
        return self.plmn, self.tac

    def ecgi(self, cell: int) -> tuple[str, int]:
        return self.plmn, self.enb_id << 8 | cell


@dataclass(frozen=True)
class Mme:
    name: str = "MME01"
    ip: str = "10.10.0.1"
    plmn: str = "00101"
    mmegi: int = 0x8001
    mmec: int = 1
    sgw_ip: str = "10.10.1.1"          # S1-U address of the SGW in the E-RAB set-up
    dns: tuple[str, ...] = ("10.10.2.53",)


@dataclass(frozen=True)
class Ue:
    """One subscriber and what happens to it.

    - ``start``: seconds after the simulation start when it sends its Attach Request;
    - ``enb``/``cell``: index into the eNB list and cell number;
    - ``identity``: attach with a GUTI the MME does not know, so it runs the Identity procedure;
    - ``emm_cause``/``reject_after`` ("request", "auth", "security"): for ``attach-reject``;
      after "security" the reject is integrity protected and EEA0-"ciphered";
    - ``then``: after a successful attach, "idle" (eNB releases for user inactivity), "detach"
      (UE detaches, MME releases) or None (stays connected).
    """
    imsi: str
    msisdn: str | None = None
    scenario: str = "attach-ok"
    enb: int = 0
    cell: int = 1
    start: float = 1.0
    emm_cause: int | None = None
    reject_after: str = "request"
    identity: bool = False
    then: str | None = "idle"
    apn: str = "internet"
    imeisv: str | None = None


# ------------------------------------------------------------------------------------- the truth

@dataclass
class Finding:
    procedure: str
    failure_node: str
    accepted_nodes: list[str]
    interface: str
    cause: dict
    category: str
    time_ns: int = 0
    evidence_frames: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        """The finding as in samples/*.expected.json."""
        return {"procedure": self.procedure, "failure_node": self.failure_node,
                "interface": self.interface, "cause": self.cause, "time": iso(self.time_ns),
                "evidence_frames": self.evidence_frames}


@dataclass
class UeTruth:
    imsi: str
    msisdn: str | None
    scenario: str
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"imsi": self.imsi, "msisdn": self.msisdn, "scenario": self.scenario,
                "findings": [f.to_json() for f in self.findings]}


@dataclass
class S1apRecord:
    """One S1AP message as sent: its frame (the packet that completes it) and identifiers."""
    frame: int
    ts_ns: int
    msg: str
    enb: str
    imsi: str | None = None
    enb_ue_s1ap_id: int | None = None
    mme_ue_s1ap_id: int | None = None


@dataclass
class Capture:
    packets: list[tuple[int, bytes]]   # (ts_ns, IP packet); frame n is packets[n - 1]
    ues: list[UeTruth]
    s1ap: list[S1apRecord]

    def write(self, target, linktype: int = LINKTYPE_ETHERNET, **kw) -> int:
        """Write the capture (options as :func:`pcap_writer.write_pcap`); returns the frame count."""
        return write_pcap(target, self.packets, linktype, **kw)

    def expected(self, file: str) -> dict:
        """The samples' golden file: {"file", "ues": [{imsi, msisdn, scenario, findings}]}."""
        return {"file": file, "ues": [u.to_json() for u in sorted(self.ues, key=lambda u: u.imsi)]}

    def truth(self) -> dict:
        """DESIGN.md's ``chrtool simulate`` truth.json (first finding of each UE, if any)."""
        out = []
        for u in self.ues:
            f = u.findings[0] if u.findings else None
            out.append({"imsi": u.imsi, "scenario": u.scenario, "expect": f and {
                "failure_node": f.accepted_nodes, "cause": f.cause, "category": f.category,
                "time": iso(f.time_ns)}})
        return {"ues": out}


# ----------------------------------------------------------------------------- scenario scripts

UPLINK = {"InitialUEMessage", "UplinkNASTransport", "InitialContextSetupResponse",
          "InitialContextSetupFailure", "UEContextReleaseRequest", "UEContextReleaseComplete",
          "S1SetupRequest"}


@dataclass
class _Step:
    t: int
    msg: str
    nas: bytes | None = None
    cause: tuple | None = None
    finding: Finding | None = None


class _Script:
    """Builds one UE's steps: a clock, its NAS COUNTs and its random draws."""

    def __init__(self, ue: Ue, enb: Enb, mme: Mme, t0: int, seed):
        self.ue, self.enb, self.mme = ue, enb, mme
        self.rng = random.Random(f"{seed}:ue:{ue.imsi}")
        self.t = t0
        self.steps: list[_Step] = []
        self.ul_count = self.dl_count = 0
        self.guti = (mme.plmn, mme.mmegi, mme.mmec, self.rng.getrandbits(32) | 0xC0000000)
        self.ip = f"10.45.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        self.imeisv = ue.imeisv or "35290611" + ue.imsi[-6:] + "01"

    def step(self, delay: tuple[int, int], msg: str, **kw) -> _Step:
        self.t += self.rng.randint(delay[0] * 1000, delay[1] * 1000) * 1000   # us resolution
        s = _Step(self.t, msg, **kw)
        self.steps.append(s)
        return s

    def protected(self, message: bytes, uplink: bool, sec_hdr: int = nas.INTEGRITY_CIPHERED) -> bytes:
        if uplink:
            count, self.ul_count = self.ul_count, self.ul_count + 1
        else:
            count, self.dl_count = self.dl_count, self.dl_count + 1
        return nas.protect(message, sec_hdr=sec_hdr, count=count)

    # building blocks ----------------------------------------------------------------------------

    def attach_request(self) -> None:
        ue = self.ue
        esm = nas.pdn_connectivity_request(pti=1, apn=ue.apn)
        if ue.identity:   # a GUTI from another MME pool: the MME must ask for the IMSI
            foreign = (self.mme.plmn, 0x8002, 7, self.rng.getrandbits(32) | 0xC0000000)
            self.step((0, 0), "InitialUEMessage", nas=nas.attach_request(guti=foreign, esm=esm))
            self.step(MME_, "DownlinkNASTransport", nas=nas.identity_request())
            self.step(UE, "UplinkNASTransport", nas=nas.identity_response(imsi=ue.imsi))
        else:
            self.step((0, 0), "InitialUEMessage", nas=nas.attach_request(imsi=ue.imsi, esm=esm))

    def authenticate(self) -> None:
        rb = self.rng.randbytes
        self.step(HSS, "DownlinkNASTransport", nas=nas.authentication_request(rb(16), rb(16)))
        self.step(UE, "UplinkNASTransport", nas=nas.authentication_response(rb(8)))

    def security(self) -> None:
        smc = nas.security_mode_command(eea=0, eia=2)
        self.step(MME_, "DownlinkNASTransport",
                  nas=self.protected(smc, False, nas.INTEGRITY_NEW_CONTEXT))
        done = nas.security_mode_complete(imeisv=self.imeisv)
        self.step(UE, "UplinkNASTransport",
                  nas=self.protected(done, True, nas.INTEGRITY_CIPHERED_NEW_CONTEXT))

    def accept(self) -> None:
        bearer = nas.activate_default_bearer_request(ip=self.ip, apn=self.ue.apn, dns=self.mme.dns)
        accept = nas.attach_accept(guti=self.guti, tai_list=nas.tai_list(self.enb.plmn, [self.enb.tac]),
                                   esm=bearer)
        # ULR/ULA to the HSS and Create Session to the SGW/PGW come before the context set-up
        self.step((HSS[0] + SGW[0], HSS[1] + SGW[1]), "InitialContextSetupRequest",
                  nas=self.protected(accept, False))
        self.step(RADIO, "InitialContextSetupResponse")
        complete = nas.attach_complete(nas.activate_default_bearer_accept())
        self.step((1, 10), "UplinkNASTransport", nas=self.protected(complete, True))

    def release(self, cause: tuple, by_enb: bool = False, delay: tuple[int, int] = MME_) -> None:
        if by_enb:
            self.step(delay, "UEContextReleaseRequest", cause=cause)
            delay = MME_
        self.step(delay, "UEContextReleaseCommand", cause=cause)
        self.step((5, 15), "UEContextReleaseComplete")

    def after_attach(self) -> None:
        if self.ue.then == "idle":
            self.release(("radioNetwork", "user-inactivity"), by_enb=True, delay=(10_000, 12_000))
        elif self.ue.then == "detach":
            self.step((3_000, 6_000), "UplinkNASTransport",
                      nas=self.protected(nas.detach_request(guti=self.guti), True))
            self.step(MME_, "DownlinkNASTransport", nas=self.protected(nas.detach_accept(), False))
            self.release(("nas", "detach"))
        elif self.ue.then is not None:
            raise ValueError(f"Ue.then must be 'idle', 'detach' or None, not {self.ue.then!r}")


def _finding(procedure: str, emm_cause: int) -> Finding:
    node, accepted, category = EMM_CAUSE_TRUTH.get(emm_cause, ("MME", ["MME"], "core-reject"))
    return Finding(procedure, node, accepted, "S1-MME", nas.cause_object("emm", emm_cause), category)


def attach_ok(s: _Script) -> list[Finding]:
    s.attach_request()
    s.authenticate()
    s.security()
    s.accept()
    s.after_attach()
    return []


def attach_reject(s: _Script) -> list[Finding]:
    cause, after = s.ue.emm_cause, s.ue.reject_after
    if cause is None:
        raise ValueError(f"UE {s.ue.imsi}: attach-reject needs emm_cause")
    if after not in ("request", "auth", "security"):
        raise ValueError(f"UE {s.ue.imsi}: reject_after must be request, auth or security")
    s.attach_request()
    if after in ("auth", "security"):
        s.authenticate()
    if after == "security":
        s.security()
        reject = s.protected(nas.attach_reject(cause), False)
    else:   # no security context in use yet: the reject goes out plain
        reject = nas.attach_reject(cause)
    finding = _finding("attach", cause)
    s.step(HSS, "DownlinkNASTransport", nas=reject, finding=finding)
    s.release(("nas", "normal-release"), delay=(100, 300))
    return [finding]


def auth_failure(s: _Script) -> list[Finding]:
    """The USIM finds the SQN out of range (#21 synch failure with AUTS); the MME resynchronises
    with the HSS and authenticates again, after which the attach completes."""
    rb = s.rng.randbytes
    s.attach_request()
    s.step(HSS, "DownlinkNASTransport", nas=nas.authentication_request(rb(16), rb(16)))
    finding = _finding("attach", 21)
    s.step(UE, "UplinkNASTransport", nas=nas.authentication_failure(21, auts=rb(14)), finding=finding)
    s.authenticate()
    s.security()
    s.accept()
    s.after_attach()
    return [finding]


SCRIPTS: dict[str, Callable[[_Script], list[Finding]]] = {
    "attach-ok": attach_ok, "attach-reject": attach_reject, "auth-failure": auth_failure}


# Attach reject causes a population draws from: subscription and area restrictions an MME sends
REJECT_CAUSES = (7, 15, 11, 12, 13, 3, 8)


def population(n_ues: int, n_enbs: int, scenarios: Sequence[str] = SCENARIOS, *,
               seed: int | str = 0, cells: int = 3, spread_s: float = 60.0,
               plmn: str = "00101") -> tuple[list[Ue], list[Enb]]:
    """A reproducible test network: ``n_enbs`` eNBs of ``cells`` cells and ``n_ues`` subscribers.

    Subscribers get IMSIs 00101 0000000001.., MSISDNs 8613900000001.., scenarios in turn from
    ``scenarios``, a random eNB/cell and a start time within ``spread_s`` seconds; rejected ones a
    cause from ``REJECT_CAUSES``. Meant for the ``chrtool simulate`` command and benchmarks.
    """
    for name in scenarios:
        if name not in SCRIPTS:
            raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCRIPTS)}")
    rng = random.Random(f"{seed}:population")
    enbs = [Enb(f"ENB-{i + 1:04d}", f"10.20.{(i + 1) // 250}.{(i + 1) % 250 + 1}", 0x19A00 + i,
                0x2A00 + i // 4, plmn) for i in range(n_enbs)]
    ues = []
    for i in range(n_ues):
        scenario = scenarios[i % len(scenarios)]
        ues.append(Ue(f"{plmn}{i + 1:010d}", f"86139{i + 1:08d}", scenario,
                      enb=rng.randrange(n_enbs), cell=rng.randint(1, cells),
                      start=1.0 + rng.uniform(0, spread_s),
                      emm_cause=rng.choice(REJECT_CAUSES) if scenario == "attach-reject" else None,
                      reject_after=rng.choice(("request", "auth")), identity=rng.random() < 0.3,
                      then=rng.choice(("idle", "detach", None))))
    return ues, enbs


# ---------------------------------------------------------------------------------- the engine

class _IdPool:
    """Lowest-free allocator: a released ID is the next one handed out, as S1AP nodes often do."""

    def __init__(self, first: int):
        self.first, self.used = first, set()

    def alloc(self) -> int:
        i = self.first
        while i in self.used:
            i += 1
        self.used.add(i)
        return i

    def free(self, i: int | None) -> None:
        self.used.discard(i)


@dataclass
class _UeState:
    ue: Ue
    script: _Script
    enb_ue_id: int | None = None
    mme_ue_id: int | None = None
    sgw_teid: int = 0
    enb_teid: int = 0


class _Link:
    """The SCTP association of one eNB plus its delayed-SACK timers (side 0 = eNB, 1 = MME)."""

    def __init__(self, enb: Enb, mme: Mme, assoc_kw: dict):
        self.enb = enb
        self.assoc = Association(enb.ip, mme.ip, PORT_S1AP, PORT_S1AP, ppid=PPID_S1AP, **assoc_kw)
        self.unacked = [0, 0]     # DATA packets each side received since its last SACK
        self.timer = [0, 0]       # generation of each side's pending SACK timer


def _s1ap_pdu(step: _Step, st: _UeState, enb: Enb, mme: Mme) -> bytes:
    m, ids = step.msg, (st.mme_ue_id, st.enb_ue_id)
    ecgi = enb.ecgi(st.ue.cell)
    if m == "InitialUEMessage":
        return s1ap.initial_ue_message(st.enb_ue_id, step.nas, enb.tai, ecgi)
    if m == "DownlinkNASTransport":
        return s1ap.downlink_nas_transport(*ids, step.nas)
    if m == "UplinkNASTransport":
        return s1ap.uplink_nas_transport(*ids, step.nas, enb.tai, ecgi)
    if m == "InitialContextSetupRequest":
        key = st.script.rng.randbytes(32)
        return s1ap.initial_context_setup_request(*ids, [s1ap.Erab(5, mme.sgw_ip, st.sgw_teid)],
                                                  nas=step.nas, security_key=key)
    if m == "InitialContextSetupResponse":
        return s1ap.initial_context_setup_response(*ids, [s1ap.Erab(5, enb.ip, st.enb_teid)])
    if m == "UEContextReleaseRequest":
        return s1ap.ue_context_release_request(*ids, step.cause)
    if m == "UEContextReleaseCommand":
        return s1ap.ue_context_release_command(*ids, step.cause)
    if m == "UEContextReleaseComplete":
        return s1ap.ue_context_release_complete(*ids)
    raise ValueError(f"no builder for S1AP step {m}")


def simulate(ues: Sequence[Ue], enbs: Sequence[Enb], mme: Mme = Mme(), *, start_ns: int,
             seed: int | str = 0, s1_setup: bool = True, sack_delay_ms: float = 200,
             **assoc_kw) -> Capture:
    """Play ``ues`` on ``enbs`` and ``mme`` from ``start_ns``; returns the :class:`Capture`.

    ``s1_setup`` opens each association (INIT..COOKIE ACK, S1 Setup) at the start, eNB after eNB;
    ``assoc_kw`` goes to :class:`pcap_writer.Association` (``pmtu``, ``max_chunk``, ``mtu``,
    ``streams``) to exercise chunking or IP fragmentation.
    """
    links = [_Link(e, mme, assoc_kw) for e in enbs]
    enb_pools = [_IdPool(random.Random(f"{seed}:enb:{e.name}").randrange(1, 4000)) for e in enbs]
    mme_pool = _IdPool(0x0D000001)
    packets: list[tuple[int, bytes]] = []
    records: list[S1apRecord] = []
    queue: list[tuple] = []
    seq = 0

    def push(t: int, kind: str, data) -> None:
        nonlocal seq
        heapq.heappush(queue, (t, seq, kind, data))
        seq += 1

    def emit(t: int, pkts: list[bytes]) -> int:
        t = max(t, packets[-1][0] if packets else t)
        packets.extend((t + i * 1000, p) for i, p in enumerate(pkts))   # 1 us apart on the wire
        return len(packets)

    def send(t: int, li: int, side: int, pdu: bytes, stream: int) -> int:
        link = links[li]
        frame = emit(t, link.assoc.send(side, pdu, stream=stream))
        link.unacked[side] = 0            # any SACK owed by the sender went out bundled
        link.timer[side] += 1
        peer = 1 - side
        link.unacked[peer] += 1
        if link.unacked[peer] == 1:
            push(t + int(sack_delay_ms * MS), "sack", (li, peer, link.timer[peer]))
        else:                             # second unacknowledged packet: SACK right away
            push(t + 200_000, "sack", (li, peer, link.timer[peer]))
        return frame

    if s1_setup:
        for li, e in enumerate(enbs):
            t = start_ns + li * 10 * MS
            push(t, "handshake", li)
            push(t + 1 * MS, "pdu", (li, 0, "S1SetupRequest",
                                     s1ap.s1_setup_request(e.plmn, e.enb_id, [e.tac], enb_name=e.name)))
            push(t + 3 * MS, "pdu", (li, 1, "S1SetupResponse",
                                     s1ap.s1_setup_response(mme.plmn, mme.mmegi, mme.mmec,
                                                            mme_name=mme.name)))

    truths = []
    for ue in ues:
        if ue.scenario not in SCRIPTS:
            raise ValueError(f"unknown scenario {ue.scenario!r}; known: {', '.join(SCRIPTS)}")
        script = _Script(ue, enbs[ue.enb], mme, start_ns + int(ue.start * 1e9), seed)
        truths.append(UeTruth(ue.imsi, ue.msisdn, ue.scenario, SCRIPTS[ue.scenario](script)))
        st = _UeState(ue, script, sgw_teid=script.rng.getrandbits(32),
                      enb_teid=script.rng.getrandbits(32))
        for step in script.steps:
            push(step.t, "step", (st, step))

    while queue:
        t, _, kind, data = heapq.heappop(queue)
        if kind == "sack":
            li, side, gen = data
            link = links[li]
            if link.timer[side] == gen and link.unacked[side]:
                emit(t, link.assoc.sack(side))
                link.unacked[side] = 0
                link.timer[side] += 1
        elif kind == "handshake":
            for i, (_side, pkt) in enumerate(links[data].assoc.handshake()):
                emit(t + i * 300_000, [pkt])
        elif kind == "pdu":     # non-UE-associated signalling, on stream 0
            li, side, msg, pdu = data
            frame = send(t, li, side, pdu, 0)
            records.append(S1apRecord(frame, packets[-1][0], msg, enbs[li].name))
        else:
            st, step = data
            li = st.ue.enb
            enb = enbs[li]
            if step.msg == "InitialUEMessage":
                st.enb_ue_id = enb_pools[li].alloc()
            elif st.mme_ue_id is None and step.msg not in UPLINK:
                st.mme_ue_id = mme_pool.alloc()
            pdu = _s1ap_pdu(step, st, enb, mme)
            # UE-associated signalling uses streams 1.. (stream 0 is for non-UE procedures)
            stream = 1 + st.enb_ue_id % (links[li].assoc.streams - 1)
            frame = send(t, li, 0 if step.msg in UPLINK else 1, pdu, stream)
            records.append(S1apRecord(frame, packets[-1][0], step.msg, enb.name, st.ue.imsi,
                                      st.enb_ue_id, st.mme_ue_id))
            if step.finding is not None:
                step.finding.time_ns = packets[-1][0]
                step.finding.evidence_frames.append(frame)
            if step.msg == "UEContextReleaseComplete":
                enb_pools[li].free(st.enb_ue_id)
                mme_pool.free(st.mme_ue_id)
                st.enb_ue_id = st.mme_ue_id = None
    return Capture(packets, truths, records)
