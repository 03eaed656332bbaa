"""A small discrete-event engine that plays UE procedures over S1-MME, S6a and S11 and records the
ground truth.

Each UE follows a *scenario* (``SCENARIOS``), which is written as a timed list of S1AP steps
carrying ready-made NAS PDUs. The engine merges every UE's steps with the SCTP timers in one time
order and only then fills in what depends on that order: eNB/MME UE S1AP IDs (allocated lowest-free
per eNB and per MME and freed by UEContextReleaseComplete, so a later UE reuses a released UE's
IDs, as real nodes do), TSNs/SSNs, delayed or bundled SACKs (RFC 9260: within ``sack_delay`` or at
the second unacknowledged packet) and frame numbers. There is one SCTP association per eNB
(PPID 18, port 36412 both ends), optionally opened with INIT/COOKIE and an S1 Setup.

With ``core=True`` (the default) the MME also talks to the core as real ones do: Diameter S6a to
the HSS over its own SCTP association (PPID 46, port 3868, opened with CER/CEA) -- AIR/AIA before
the NAS authentication (the AIA's E-UTRAN vector is the RAND/AUTN/XRES the NAS messages carry),
ULR/ULA after it (the ULA's Subscription-Data carries the MSISDN and the APN configuration, or an
Experimental-Result when the HSS refuses, see ``S6A_REJECT``) -- and GTPv2-C S11 to the SGW over
UDP 2123: Create Session before the context set-up (its F-TEIDs, PAA and S1-U TEID are the ones
S1AP and NAS carry), Modify Bearer after it, Release Access Bearers when the eNB releases the UE
and Delete Session at detach.

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

from chrtool.simulate import diameter_build as dia
from chrtool.simulate import gtpv2_build as gtp
from chrtool.simulate import nas_build as nas
from chrtool.simulate import s1ap_build as s1ap
from chrtool.simulate.pcap_writer import (LINKTYPE_ETHERNET, PORT_DIAMETER, PORT_GTPC, PORT_S1AP,
                                          PPID_DIAMETER, PPID_S1AP, Association, udp_packet,
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

# How the HSS takes part in an attach reject, by EMM cause: (the answer that refuses, its
# Experimental-Result-Code). 5420 DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION in the ULA -> #7 EPS
# services not allowed; 5001 DIAMETER_ERROR_USER_UNKNOWN already in the AIA (no vectors, so no NAS
# authentication) -> #8; 5004 DIAMETER_ERROR_ROAMING_NOT_ALLOWED -> #11/#13. (Which EMM cause an
# MME sends for which S6a error is MME configuration; these are common choices.) Other causes get
# a successful ULA and the reject is the MME's own decision; for the area causes (#12, #15) the
# subscription carries Regional-Subscription-Zone-Codes that do not cover the UE's TA.
S6A_REJECT = {7: ("ULA", dia.DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION),
              8: ("AIA", dia.DIAMETER_ERROR_USER_UNKNOWN),
              11: ("ULA", dia.DIAMETER_ERROR_ROAMING_NOT_ALLOWED),
              13: ("ULA", dia.DIAMETER_ERROR_ROAMING_NOT_ALLOWED)}
ZONE_RESTRICTED = {12, 15}
# the truth's cause object of those answers (29.272 7.4.3)
S6A_NAMES = {dia.DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION: "DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION",
             dia.DIAMETER_ERROR_USER_UNKNOWN: "DIAMETER_ERROR_USER_UNKNOWN",
             dia.DIAMETER_ERROR_ROAMING_NOT_ALLOWED: "DIAMETER_ERROR_ROAMING_NOT_ALLOWED"}


def s6a_cause(code: int) -> dict:
    return {"proto": "Diameter", "group": "experimental-result", "value": code,
            "name": S6A_NAMES[code]}


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
    hss_name: str = "HSS01"            # S6a peer (Diameter over SCTP from the MME's address)
    hss_ip: str = "10.10.3.1"
    sgw_c_ip: str = "10.10.1.11"       # S11 (GTPv2-C) address of the SGW
    pgw_c_ip: str = "10.10.1.21"       # S5/S8 GTP-C address of the PGW (F-TEID in Create Session)
    pgw_u_ip: str = "10.10.1.22"       # S5/S8 GTP-U address of the PGW

    @property
    def diameter(self) -> dia.Peer:
        return dia.Peer(f"{self.name.lower()}.{dia.realm_for(self.plmn)}", dia.realm_for(self.plmn),
                        self.ip)

    @property
    def hss(self) -> dia.Peer:
        return dia.Peer(f"{self.hss_name.lower()}.{dia.realm_for(self.plmn)}",
                        dia.realm_for(self.plmn), self.hss_ip)


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
class CoreRecord:
    """One S6a (Diameter) or S11 (GTPv2-C) message as sent, with its frame."""
    frame: int
    ts_ns: int
    interface: str                     # "S6a" or "S11"
    msg: str                           # AIR, AIA, ULR, ULA, CER, CEA / CreateSessionRequest, ...
    imsi: str | None = None
    result: int | None = None          # Diameter Result-Code / Experimental-Result-Code, GTP cause


@dataclass
class Capture:
    packets: list[tuple[int, bytes]]   # (ts_ns, IP packet); frame n is packets[n - 1]
    ues: list[UeTruth]
    s1ap: list[S1apRecord]
    core: list[CoreRecord] = field(default_factory=list)

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
    iface: str = "S1"                  # "S1", "S6a" or "S11"
    args: dict = field(default_factory=dict)


class _Script:
    """Builds one UE's steps: a clock, its NAS COUNTs and its random draws."""

    def __init__(self, ue: Ue, enb: Enb, mme: Mme, t0: int, seed, core: bool = True):
        self.ue, self.enb, self.mme, self.core = ue, enb, mme, core
        self.rng = random.Random(f"{seed}:ue:{ue.imsi}")
        self.t = t0
        self.steps: list[_Step] = []
        self.ul_count = self.dl_count = 0
        self.guti = (mme.plmn, mme.mmegi, mme.mmec, self.rng.getrandbits(32) | 0xC0000000)
        self.ip = f"10.45.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        self.imeisv = ue.imeisv or "35290611" + ue.imsi[-6:] + "01"
        self.imeisv_known = False          # the MME learns it from the Security Mode Complete
        self.session = False               # an S11 session exists

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

    def vector(self) -> dia.Vector:
        rb = self.rng.randbytes
        return dia.Vector(rand=rb(16), xres=rb(8), autn=rb(16), kasme=rb(32))

    def auth_info(self, vector: dia.Vector | None, *, resync: bytes | None = None,
                  result: int = dia.DIAMETER_SUCCESS) -> _Step:
        """AIR/AIA over S6a (TS 29.272 5.2.3.1); returns the answer's step."""
        self.step(MME_, "AIR", iface="S6a", args={"resync": resync})
        return self.step(HSS, "AIA", iface="S6a", args={"vector": vector, "result": result})

    def authenticate(self, *, resync: bytes | None = None, nas_auth: bool = True) -> dia.Vector:
        """The HSS's vector (AIR/AIA with ``core``), then the NAS authentication with it."""
        v = self.vector()
        delay = HSS
        if self.core:
            self.auth_info(v, resync=resync)
            delay = MME_
        if nas_auth:
            self.step(delay, "DownlinkNASTransport", nas=nas.authentication_request(v.rand, v.autn))
            self.step(UE, "UplinkNASTransport", nas=nas.authentication_response(v.xres))
        return v

    def update_location(self, result: int = dia.DIAMETER_SUCCESS, zones: bool = False) -> _Step | None:
        """ULR/ULA over S6a (TS 29.272 5.2.1.1): the subscription comes back in the ULA. Returns
        the answer's step (None without the core)."""
        if self.core:
            self.step(MME_, "ULR", iface="S6a", args={"imeisv": self.imeisv_known})
            return self.step(HSS, "ULA", iface="S6a", args={"result": result, "zones": zones})
        return None

    def security(self) -> None:
        smc = nas.security_mode_command(eea=0, eia=2)
        self.step(MME_, "DownlinkNASTransport",
                  nas=self.protected(smc, False, nas.INTEGRITY_NEW_CONTEXT))
        done = nas.security_mode_complete(imeisv=self.imeisv)
        self.step(UE, "UplinkNASTransport",
                  nas=self.protected(done, True, nas.INTEGRITY_CIPHERED_NEW_CONTEXT))
        self.imeisv_known = True

    def accept(self) -> None:
        bearer = nas.activate_default_bearer_request(ip=self.ip, apn=self.ue.apn, dns=self.mme.dns)
        accept = nas.attach_accept(guti=self.guti, tai_list=nas.tai_list(self.enb.plmn, [self.enb.tac]),
                                   esm=bearer)
        if self.core:   # ULR/ULA to the HSS and Create Session to the SGW/PGW come first
            self.update_location()
            self.step(MME_, "CreateSessionRequest", iface="S11")
            self.step(SGW, "CreateSessionResponse", iface="S11")
            self.session = True
            delay = MME_
        else:
            delay = (HSS[0] + SGW[0], HSS[1] + SGW[1])
        self.step(delay, "InitialContextSetupRequest", nas=self.protected(accept, False))
        self.step(RADIO, "InitialContextSetupResponse")
        complete = nas.attach_complete(nas.activate_default_bearer_accept())
        self.step((1, 10), "UplinkNASTransport", nas=self.protected(complete, True))
        if self.core:   # with the eNB's S1-U TEID, once both the context and the attach are done
            self.step(MME_, "ModifyBearerRequest", iface="S11")
            self.step(SGW, "ModifyBearerResponse", iface="S11")

    def release(self, cause: tuple, by_enb: bool = False, delay: tuple[int, int] = MME_) -> None:
        if by_enb:
            self.step(delay, "UEContextReleaseRequest", cause=cause)
            delay = MME_
            if self.core and self.session:   # the UE goes idle: the SGW drops the S1-U bearers
                self.step(MME_, "ReleaseAccessBearersRequest", iface="S11")
                self.step(SGW, "ReleaseAccessBearersResponse", iface="S11")
        self.step(delay, "UEContextReleaseCommand", cause=cause)
        self.step((5, 15), "UEContextReleaseComplete")

    def after_attach(self) -> None:
        if self.ue.then == "idle":
            self.release(("radioNetwork", "user-inactivity"), by_enb=True, delay=(10_000, 12_000))
        elif self.ue.then == "detach":
            self.step((3_000, 6_000), "UplinkNASTransport",
                      nas=self.protected(nas.detach_request(guti=self.guti), True))
            if self.core and self.session:
                self.step(MME_, "DeleteSessionRequest", iface="S11")
                self.step(SGW, "DeleteSessionResponse", iface="S11")
                self.session = False
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
    """The MME rejects the attach: right after the request ("request": no NAS authentication,
    though with ``core`` the MME has still asked the HSS for vectors and the subscription), after
    the authentication ("auth") or after the security mode procedure ("security"). The HSS's part
    follows ``S6A_REJECT`` / ``ZONE_RESTRICTED``."""
    cause, after = s.ue.emm_cause, s.ue.reject_after
    if cause is None:
        raise ValueError(f"UE {s.ue.imsi}: attach-reject needs emm_cause")
    if after not in ("request", "auth", "security"):
        raise ValueError(f"UE {s.ue.imsi}: reject_after must be request, auth or security")
    hss_answer, hss_code = S6A_REJECT.get(cause, (None, dia.DIAMETER_SUCCESS))
    s.attach_request()
    delay = HSS
    root = None                  # the HSS's refusal, when it is the root cause (DIAGNOSIS.md 1)
    if s.core and hss_answer == "AIA":          # the HSS does not know the IMSI: no vectors
        root = s.auth_info(None, result=hss_code)
        after = "request"
        delay = MME_
    else:
        if after in ("auth", "security") or s.core:
            s.authenticate(nas_auth=after in ("auth", "security"))
        if after == "security":
            s.security()
        if s.core:
            ula = s.update_location(hss_code if hss_answer == "ULA" else dia.DIAMETER_SUCCESS,
                                    zones=cause in ZONE_RESTRICTED)
            root = ula if hss_answer == "ULA" else None
            delay = MME_
        elif after != "request":
            delay = HSS
    if after == "security":
        reject = s.protected(nas.attach_reject(cause), False)
    else:   # no security context in use yet: the reject goes out plain
        reject = nas.attach_reject(cause)
    if root is None:                            # the MME's own decision
        finding = _finding("attach", cause)
        s.step(delay, "DownlinkNASTransport", nas=reject, finding=finding)
    else:                                       # the MME only relays the HSS's answer
        finding = Finding("attach", "HSS", ["HSS"], "S6a", s6a_cause(hss_code),
                          "subscription")
        root.finding = finding
        s.step(delay, "DownlinkNASTransport", nas=reject)
    s.release(("nas", "normal-release"), delay=(100, 300))
    return [finding]


def auth_failure(s: _Script) -> list[Finding]:
    """The USIM finds the SQN out of range (#21 synch failure with AUTS); the MME resynchronises
    with the HSS (AIR with Re-Synchronization-Info = RAND || AUTS) and authenticates again, after
    which the attach completes: a normal resynchronisation, no finding (DIAGNOSIS.md 2)."""
    s.attach_request()
    first = s.vector()
    if s.core:
        s.auth_info(first)
    s.step(MME_ if s.core else HSS, "DownlinkNASTransport",
           nas=nas.authentication_request(first.rand, first.autn))
    auts = s.rng.randbytes(14)
    s.step(UE, "UplinkNASTransport", nas=nas.authentication_failure(21, auts=auts))
    s.authenticate(resync=first.rand + auts)
    s.security()
    s.accept()
    s.after_attach()
    return []


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
    sgw_teid: int = 0                  # S1-U TEID of the SGW (E-RAB set-up, Create Session Response)
    enb_teid: int = 0                  # S1-U TEID of the eNB
    mme_s11_teid: int = 0
    sgw_s11_teid: int = 0
    pgw_s5_teid: int = 0
    pgw_u_teid: int = 0
    diameter: tuple | None = None      # (Session-Id, Hop-by-Hop, End-to-End) of the open request
    gtp_seq: int = 0                   # sequence number of the open GTPv2 request


class _Link:
    """One SCTP association plus its delayed-SACK timers. S1: side 0 = eNB, 1 = MME; S6a: side 0 =
    MME, 1 = HSS."""

    def __init__(self, name: str, assoc: Association):
        self.name = name
        self.assoc = assoc
        self.unacked = [0, 0]     # DATA packets each side received since its last SACK
        self.timer = [0, 0]       # generation of each side's pending SACK timer


class _Core:
    """The MME's Diameter and GTPv2 counters: Hop-by-Hop / End-to-End identifiers, Session-Id
    suffixes, GTP sequence numbers, S11 TEIDs and IP identifications of the UDP packets."""

    def __init__(self, mme: Mme, seed):
        rng = random.Random(f"{seed}:core:{mme.name}")
        self.hbh = rng.getrandbits(32)
        self.e2e = (rng.getrandbits(12) << 20) | rng.getrandbits(16)   # RFC 6733 3: boot time | count
        self.sid_high = rng.getrandbits(32)
        self.sid_low = rng.getrandbits(16)
        self.seq = rng.randrange(1, 0x1000)
        self.teid = rng.getrandbits(24) << 4 | 1
        self.ident = {mme.ip: rng.getrandbits(16), mme.sgw_c_ip: rng.getrandbits(16)}
        self.recovery = {"MME": rng.randrange(1, 255), "SGW": rng.randrange(1, 255)}

    def request_ids(self) -> tuple[int, int]:
        self.hbh = (self.hbh + 1) & 0xFFFFFFFF
        self.e2e = (self.e2e + 1) & 0xFFFFFFFF
        return self.hbh, self.e2e

    def session_id(self, host: str) -> str:
        self.sid_low += 1
        return dia.session_id(host, self.sid_high, self.sid_low)

    def next_seq(self) -> int:
        self.seq = (self.seq + 1) & 0xFFFFFF
        return self.seq

    def next_teid(self) -> int:
        self.teid = (self.teid + 0x10) & 0xFFFFFFFF
        return self.teid

    def next_ident(self, ip: str) -> int:
        self.ident[ip] = (self.ident[ip] + 1) & 0xFFFF
        return self.ident[ip]


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


def _s6a_pdu(step: _Step, st: _UeState, enb: Enb, mme: Mme, core: _Core) -> tuple[bytes, int | None]:
    """The Diameter message of an S6a step and its result code (None for requests)."""
    me, hss, ue = mme.diameter, mme.hss, st.ue
    a = step.args
    if step.msg in ("AIR", "ULR"):
        sid = core.session_id(me.host)
        hbh, e2e = core.request_ids()
        st.diameter = (sid, hbh, e2e)
        if step.msg == "AIR":
            return dia.air(sid, me, hss.realm, ue.imsi, enb.plmn, hbh=hbh, e2e=e2e,
                           resync=a.get("resync")), None
        return dia.ulr(sid, me, hss.realm, ue.imsi, enb.plmn, hbh=hbh, e2e=e2e,
                       imeisv=st.script.imeisv if a.get("imeisv") else None), None
    sid, hbh, e2e = st.diameter
    result = a.get("result", dia.DIAMETER_SUCCESS)
    if step.msg == "AIA":
        vectors = [a["vector"]] if a.get("vector") else []
        return dia.aia(sid, hss, hbh=hbh, e2e=e2e, vectors=vectors, result_code=result), result
    if step.msg == "ULA":
        sub = None
        if result == dia.DIAMETER_SUCCESS:
            # zone codes that do not cover the UE's TA: the MME refuses the area (#12/#15)
            zones = [(0x0100 | (enb.tac + 0x41) & 0xFF).to_bytes(2, "big")] if a.get("zones") else []
            sub = dia.subscription_data(msisdn=ue.msisdn, apns=[dia.Apn(ue.apn)], zone_codes=zones)
        return dia.ula(sid, hss, hbh=hbh, e2e=e2e, result_code=result, subscription=sub), result
    raise ValueError(f"no builder for S6a step {step.msg}")


def _s11_pdu(step: _Step, st: _UeState, enb: Enb, mme: Mme, core: _Core) -> tuple[bytes, int, int | None]:
    """The GTPv2-C message of an S11 step, the side that sends it (0 MME, 1 SGW) and its cause."""
    m, ue, F = step.msg, st.ue, gtp.Fteid
    sgw_c = F(gtp.IF_S11S4_SGW, st.sgw_s11_teid, mme.sgw_c_ip)
    if m.endswith("Request"):
        seq = st.gtp_seq = core.next_seq()
        if m == "CreateSessionRequest":
            st.mme_s11_teid = core.next_teid()
            return gtp.create_session_request(
                seq=seq, imsi_=ue.imsi, msisdn_=ue.msisdn,
                imeisv=st.script.imeisv if st.script.imeisv_known else None, tai=enb.tai,
                ecgi=enb.ecgi(ue.cell), serving_plmn=enb.plmn,
                mme_c=F(gtp.IF_S11_MME, st.mme_s11_teid, mme.ip),
                pgw_c=F(gtp.IF_S5S8_PGW_C, 0, mme.pgw_c_ip), apn_=ue.apn,
                recovery_=core.recovery["MME"]), 0, None
        if m == "ModifyBearerRequest":
            return gtp.modify_bearer_request(seq=seq, sgw_teid=st.sgw_s11_teid,
                                             s1u_enb=F(gtp.IF_S1U_ENB, st.enb_teid, enb.ip)), 0, None
        if m == "ReleaseAccessBearersRequest":
            return gtp.release_access_bearers_request(seq=seq, sgw_teid=st.sgw_s11_teid), 0, None
        if m == "DeleteSessionRequest":
            return gtp.delete_session_request(seq=seq, sgw_teid=st.sgw_s11_teid, tai=enb.tai,
                                              ecgi=enb.ecgi(ue.cell)), 0, None
    seq, mme_teid, ok = st.gtp_seq, st.mme_s11_teid, gtp.REQUEST_ACCEPTED
    s1u_sgw = F(gtp.IF_S1U_SGW, st.sgw_teid, mme.sgw_ip)
    if m == "CreateSessionResponse":
        return gtp.create_session_response(
            seq=seq, mme_teid=mme_teid, sgw_c=sgw_c, pgw_c=F(gtp.IF_S5S8_PGW_C, st.pgw_s5_teid, mme.pgw_c_ip),
            ue_ip=st.script.ip, s1u_sgw=s1u_sgw, s5u_pgw=F(gtp.IF_S5S8_PGW_U, st.pgw_u_teid, mme.pgw_u_ip),
            recovery_=core.recovery["SGW"]), 1, ok
    if m == "ModifyBearerResponse":
        return gtp.modify_bearer_response(seq=seq, mme_teid=mme_teid, s1u_sgw=s1u_sgw), 1, ok
    if m == "ReleaseAccessBearersResponse":
        return gtp.release_access_bearers_response(seq=seq, mme_teid=mme_teid), 1, ok
    if m == "DeleteSessionResponse":
        return gtp.delete_session_response(seq=seq, mme_teid=mme_teid), 1, ok
    raise ValueError(f"no builder for S11 step {m}")


def simulate(ues: Sequence[Ue], enbs: Sequence[Enb], mme: Mme = Mme(), *, start_ns: int,
             seed: int | str = 0, s1_setup: bool = True, core: bool = True,
             sack_delay_ms: float = 200, **assoc_kw) -> Capture:
    """Play ``ues`` on ``enbs`` and ``mme`` from ``start_ns``; returns the :class:`Capture`.

    ``s1_setup`` opens each association (INIT..COOKIE ACK, S1 Setup) at the start, eNB after eNB;
    ``core`` adds S6a towards the HSS (its association and CER/CEA open after the S1 Setups) and
    S11 towards the SGW. ``assoc_kw`` goes to the S1 :class:`pcap_writer.Association`s (``pmtu``,
    ``max_chunk``, ``mtu``, ``streams``) to exercise chunking or IP fragmentation.
    """
    links = [_Link(e.name, Association(e.ip, mme.ip, PORT_S1AP, PORT_S1AP, ppid=PPID_S1AP, **assoc_kw))
             for e in enbs]
    s6a = len(links)                   # index of the MME-HSS association
    links.append(_Link("S6a", Association(mme.ip, mme.hss_ip, PORT_DIAMETER, PORT_DIAMETER,
                                          ppid=PPID_DIAMETER)))
    counters = _Core(mme, seed)
    enb_pools = [_IdPool(random.Random(f"{seed}:enb:{e.name}").randrange(1, 4000)) for e in enbs]
    mme_pool = _IdPool(0x0D000001)
    packets: list[tuple[int, bytes]] = []
    records: list[S1apRecord] = []
    core_records: list[CoreRecord] = []
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

    t_open = start_ns
    if s1_setup:
        for li, e in enumerate(enbs):
            t = start_ns + li * 10 * MS
            push(t, "handshake", li)
            push(t + 1 * MS, "pdu", (li, 0, "S1SetupRequest",
                                     s1ap.s1_setup_request(e.plmn, e.enb_id, [e.tac], enb_name=e.name)))
            push(t + 3 * MS, "pdu", (li, 1, "S1SetupResponse",
                                     s1ap.s1_setup_response(mme.plmn, mme.mmegi, mme.mmec,
                                                            mme_name=mme.name)))
        t_open = start_ns + len(enbs) * 10 * MS
    if core:   # the MME opens its S6a association and exchanges capabilities with the HSS
        hbh, e2e = counters.request_ids()
        push(t_open, "handshake", s6a)
        push(t_open + 1 * MS, "core", (s6a, 0, "CER", dia.cer(mme.diameter, hbh=hbh, e2e=e2e,
                                                               product="chrtool-sim MME")))
        push(t_open + 3 * MS, "core", (s6a, 1, "CEA", dia.cea(mme.hss, hbh=hbh, e2e=e2e,
                                                               product="chrtool-sim HSS")))

    truths = []
    for ue in ues:
        if ue.scenario not in SCRIPTS:
            raise ValueError(f"unknown scenario {ue.scenario!r}; known: {', '.join(SCRIPTS)}")
        script = _Script(ue, enbs[ue.enb], mme, start_ns + int(ue.start * 1e9), seed, core)
        truths.append(UeTruth(ue.imsi, ue.msisdn, ue.scenario, SCRIPTS[ue.scenario](script)))
        rb = script.rng.getrandbits
        st = _UeState(ue, script, sgw_teid=rb(32), enb_teid=rb(32))
        if core:
            st.sgw_s11_teid, st.pgw_s5_teid, st.pgw_u_teid = rb(32), rb(32), rb(32)
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
        elif kind == "core":    # CER/CEA
            li, side, msg, pdu = data
            frame = send(t, li, side, pdu, 0)
            core_records.append(CoreRecord(frame, packets[-1][0], "S6a", msg,
                                           result=dia.DIAMETER_SUCCESS if side else None))
        else:
            st, step = data
            li = st.ue.enb
            enb = enbs[li]
            if step.iface == "S6a":
                pdu, result = _s6a_pdu(step, st, enb, mme, counters)
                # one stream per direction of S6a traffic besides stream 0 (CER/DWR)
                frame = send(t, s6a, 1 if result is not None else 0, pdu, 1)
                core_records.append(CoreRecord(frame, packets[-1][0], "S6a", step.msg, st.ue.imsi, result))
            elif step.iface == "S11":
                pdu, side, result = _s11_pdu(step, st, enb, mme, counters)
                src, dst = (mme.ip, mme.sgw_c_ip)[side], (mme.sgw_c_ip, mme.ip)[side]
                frame = emit(t, [udp_packet(src, dst, PORT_GTPC, PORT_GTPC, pdu,
                                            ident=counters.next_ident(src))])
                core_records.append(CoreRecord(frame, packets[-1][0], "S11", step.msg, st.ue.imsi, result))
            else:
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
                if step.msg == "UEContextReleaseComplete":
                    enb_pools[li].free(st.enb_ue_id)
                    mme_pool.free(st.mme_ue_id)
                    st.enb_ue_id = st.mme_ue_id = None
            if step.finding is not None:
                step.finding.time_ns = packets[-1][0]
                step.finding.evidence_frames.append(frame)
    return Capture(packets, truths, records, core_records)
