"""``chrtool simulate``: a network day with labelled faults, written as it is played.

The topology (:func:`topology`): eNBs of up to three cells in a ring of X2 neighbours, one
en-gNB for every two eNBs (EN-DC X2, SCTP PPID 27), two MMEs in a pool with one SCTP association
per eNB each, an SGW, a PGW (S5 over GTPv2-C between them) and an HSS (S6a, Diameter over SCTP).
Subscribers (:func:`population`) come from three PLMNs (home and two roaming partners), with
MSISDNs in their subscription data; each follows a scenario of :mod:`catalogue`.

:class:`World` plays them. It admits subscribers in start order and keeps only those whose life
is not over, writes every packet and CHR record the moment it is made, and writes each
subscriber's truth entry when its life ends: memory follows the number of concurrent
subscribers, not the output size. Output in DIR:

- ``capture/probe-a-NNNN.pcapng``: S1-MME, X2, S11, S5 and S6a, rotated into ``files`` files;
- ``capture/probe-b-NNNN.pcapng`` (noise): a second probe on S11/S5/S6a seeing the same
  packets, its clock ``PROBE_B_SKEW_NS`` ahead;
- ``chr/<eNB>.chr``: each eNB's chr-v1 records (RRC, measurements, RLF, handover, SgNB events),
  its clock skewed by a few ms (records of different files are out of order);
- ``chr-csv/<eNB>.csv`` (Huawei-style layout), ``chr-ericsson/<eNB>.csv`` (Ericsson-style) and
  ``trace-xml/<eNB>.xml`` when asked for (``chr_formats``): the CHR as vendor CSV exports and
  the eNBs' 32.423 traces (:mod:`chr_export`);
- ``truth.json``: DESIGN.md's ground truth.

Noise on top of the scenarios: S1AP IDs reused after release (lowest-free pools), M-TMSIs of
detached subscribers handed to later ones, delayed and bundled SACKs, S1AP messages of
different subscribers bundled in one SCTP packet under load, SCTP retransmissions of DATA (the
same TSN again after the RTO), several files and two probes, clock skew.
"""
from __future__ import annotations

import heapq
import json
import os
import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from chrtool.decoders import chr_v1 as spec
from chrtool.simulate import chr_export
from chrtool.simulate import diameter_build as dia
from chrtool.simulate import gtpv2_build as gtp
from chrtool.simulate import s1ap_build as s1ap
from chrtool.simulate.catalogue import SCENARIOS, Life
from chrtool.simulate.pcap_writer import (LINKTYPE_ETHERNET, PORT_DIAMETER, PORT_GTPC, PORT_S1AP,
                                          PPID_DIAMETER, PPID_S1AP, Association, PcapngWriter,
                                          udp_packet)
from chrtool.simulate.scenarios import (UPLINK, Enb, Mme, Ue, _Core, _IdPool, _s1ap_pdu, _s6a_pdu,
                                        _s11_pdu, _UeState, iso, utc_ns)

MS = 1_000_000
SEC = 1_000_000_000
PORT_X2AP, PPID_X2AP = 36422, 27
PROBE_B_SKEW_NS = 3 * MS + 417_000
RTO_NS = 1 * SEC                      # SCTP RTO.Initial (RFC 9260)
BUNDLE_WINDOW_NS = 10 * MS            # how long a queued S1AP message may wait for company
BUNDLE_HOLD = 0.7                     # share of UE-associated S1AP messages that may queue (noise)
HOME, ROAMING = "00101", ("00102", "99970")
S1_UPLINK = UPLINK | {"PathSwitchRequest", "HandoverRequired", "HandoverRequestAcknowledge",
                      "HandoverFailure", "ENBStatusTransfer", "HandoverNotify", "E-RABSetupResponse",
                      "E-RABReleaseResponse"}
BEARER_MSGS = {"CreateBearerRequest", "CreateBearerResponse", "DeleteBearerRequest", "DeleteBearerResponse"}


# ------------------------------------------------------------------------------------ topology

@dataclass(frozen=True)
class Gnb:
    name: str
    ip: str
    gnb_id: int                        # 22-bit gNB ID; NCI = gnb_id << 14 | cell
    plmn: str = HOME

    def nr_cgi(self, cell: int) -> tuple[str, int]:
        return self.plmn, self.gnb_id << 14 | cell


@dataclass(frozen=True)
class Topology:
    enbs: tuple[Enb, ...]
    cells: tuple[tuple[int, ...], ...]           # cell numbers of each eNB
    gnb_of: tuple[int | None, ...]               # en-gNB index serving each eNB's area
    gnbs: tuple[Gnb, ...]
    mmes: tuple[Mme, ...]

    def neighbours(self, enb: int) -> list[int]:
        n = len(self.enbs)
        return sorted({(enb - 1) % n, (enb + 1) % n} - {enb})

    def mme_of(self, ue: Ue) -> Mme:
        return self.mmes[int(ue.imsi) % len(self.mmes)]


def topology(cells: int) -> Topology:
    cells = max(1, cells)
    n = (cells + 2) // 3
    enbs, cell_ids = [], []
    for i in range(n):
        enbs.append(Enb(f"ENB-{i + 1:04d}", f"10.20.{(i + 1) // 250}.{(i + 1) % 250 + 1}", 0x19A00 + i,
                        0x2A00 + i // 4, HOME))
        cell_ids.append(tuple(range(1, 1 + min(3, cells - 3 * i))))
    gnbs = tuple(Gnb(f"GNB-{j + 1:04d}", f"10.30.0.{j + 1}", 0x2B000 + j) for j in range((n + 1) // 2))
    mmes = tuple(Mme(name=f"MME{k + 1:02d}", ip=f"10.10.0.{k + 1}", mmegi=0x8001, mmec=k + 1)
                 for k in range(2))
    return Topology(tuple(enbs), tuple(cell_ids), tuple(None if i % 4 == 3 else i // 2 for i in range(n)), gnbs, mmes)


# ---------------------------------------------------------------------------------- population

def population(topo: Topology, scenarios: Sequence[str], ues: int | None, *, seed, hours: float,
               outage_s: float, first_ue: int = 1) -> Iterator[Ue]:
    """Subscribers in start order, scenarios in turn; ``ues=None`` never ends (``--size``).

    Subscriber numbers (the IMSI's MSIN, the MSISDN's last digits) count from ``first_ue``, so
    a day can sit beside other inputs (``samples/``) without two subscribers sharing an IMSI.

    Starts are spread evenly over the day (``hours``), so the arrival rate is ues/hours. The
    ``cell-outage`` subscribers are a batch: all on cell 1 of eNB 0, attached within the minute
    before the outage at ``outage_s``; they are merged into the stream in start order.
    """
    n = ues if ues is not None else 1000
    gap = hours * 3600.0 / max(n, 1)
    with_gnb = [i for i, g in enumerate(topo.gnb_of) if g is not None] or [0]
    outage = "cell-outage" in scenarios
    regular = [x for x in scenarios if x != "cell-outage"]
    n_outage = (n * (len(scenarios) - len(regular))) // len(scenarios) if outage else 0

    def make(rng, i, name, start, enb=None, cell=None):
        sc = SCENARIOS[name]
        plmn = HOME
        if name == "hss-roaming-not-allowed" or rng.random() < 0.15:
            plmn = ROAMING[0] if name == "hss-roaming-not-allowed" else rng.choice(ROAMING)
        if enb is None:
            enb = rng.choice(with_gnb) if sc.needs == "gnb" else rng.randrange(len(topo.enbs))
            cell = rng.choice(topo.cells[enb])
        msisdn = {HOME: "86139", "00102": "44770"}.get(plmn, "99170") + f"{i:08d}"
        return Ue(f"{plmn}{i:010d}", msisdn, name, enb=enb, cell=cell, start=start,
                  identity=rng.random() < 0.2, then=None,
                  apn="corp.example" if name == "attach-reject-apn" else "internet")

    def steady():
        rng = random.Random(f"{seed}:population")
        i = 0
        while regular and (ues is None or i < n - n_outage):
            yield make(rng, i + first_ue, regular[i % len(regular)], 1.0 + i * gap + rng.uniform(0, gap))
            i += 1

    def batch():
        rng = random.Random(f"{seed}:outage")
        starts = sorted(max(1.0, outage_s - rng.uniform(20, 60)) for _ in range(n_outage))
        for k, start in enumerate(starts):
            yield make(rng, 4_999_999 + first_ue + k, "cell-outage", start, 0, 1)

    yield from heapq.merge(steady(), batch(), key=lambda u: u.start)


# ------------------------------------------------------------------------------------- outputs

class Rotating:
    """pcapng files ``prefix-0001.pcapng``...: a new file every ``every_ns`` of capture time or
    ``every_bytes`` of output, whichever is given."""

    def __init__(self, directory: Path, prefix: str, *, every_ns: int | None, every_bytes: int | None,
                 files: int = 1):
        self.dir, self.prefix, self.max_files = directory, prefix, files
        self.every_ns, self.every_bytes = every_ns, every_bytes
        self.index, self.writer, self.t_end = 0, None, None
        self.total = 0
        self.files: list[Path] = []

    def _open(self, ts: int) -> None:
        if self.writer:
            self.writer.close()
        self.index += 1
        path = self.dir / f"{self.prefix}-{self.index:04d}.pcapng"
        self.files.append(path)
        self.writer = PcapngWriter(str(path), LINKTYPE_ETHERNET, nanosecond=False)
        self.t_end = ts + self.every_ns if self.every_ns else None
        self.start_bytes = self.total

    def write(self, ts: int, packet: bytes) -> None:
        if self.writer is None or (self.index < self.max_files and (
                (self.t_end is not None and ts >= self.t_end)
                or (self.every_bytes and self.total - self.start_bytes >= self.every_bytes))):
            self._open(ts)
        self.writer.write_packet(ts, packet)
        self.total += 48 + len(packet)     # EPB + Ethernet overhead, near enough for rotation

    def close(self) -> None:
        if self.writer:
            self.writer.close()


class ChrFiles:
    """One chr-v1 file per eNB, opened at its first record; each eNB's clock has its own skew.
    ``csv`` (a list of :class:`chr_export.VendorCsv`) get the same records in vendor layouts;
    ``chr_v1=False`` writes only those."""

    def __init__(self, directory: Path, topo: Topology, start_ns: int, seed, *, chr_v1: bool = True,
                 csv=()):
        self.dir, self.topo, self.start = directory, topo, start_ns
        self.chr_v1, self.csv = chr_v1, csv
        rng = random.Random(f"{seed}:chr-skew")
        self.skew = [rng.randint(-8, 8) * MS + rng.randrange(1000) * 1000 for _ in topo.enbs]
        self.files: dict[int, object] = {}
        self.bytes = 0

    def write(self, enb: int, rec: dict) -> int:
        for out in self.csv:
            out.write(self.topo.enbs[enb].name, {**rec, "ts_ns": rec["ts_ns"] + self.skew[enb]})
        if not self.chr_v1:
            rec["ts_ns"] += self.skew[enb]
            return rec["ts_ns"]
        f = self.files.get(enb)
        if f is None:
            e = self.topo.enbs[enb]
            f = self.files[enb] = open(self.dir / f"{e.name}.chr", "wb", buffering=1 << 16)
            hdr = spec.FileHeader.build(spec.header(self.start, ne_name=e.name, ne_id=e.enb_id, ne_plmn=e.plmn))
            f.write(hdr)
            self.bytes += len(hdr)
        rec["ts_ns"] += self.skew[enb]
        data = spec.Record.build(rec)
        f.write(data)
        self.bytes += len(data)
        return rec["ts_ns"]

    @property
    def total(self) -> int:
        return self.bytes + sum(out.bytes for out in self.csv)

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        for out in self.csv:
            out.close()


# ---------------------------------------------------------------------------------- the engine

class _Increasing:
    """MMEs hand MME UE S1AP IDs out from a running 32-bit counter: an ID comes back only after
    a wrap, unlike the eNB's lowest-free pool (where reuse after release is the rule)."""

    def __init__(self, first: int):
        self.next = first

    def alloc(self) -> int:
        i, self.next = self.next, (self.next + 1) & 0xFFFFFFFF
        return i

    def free(self, i) -> None:
        pass


class _Link:
    def __init__(self, assoc: Association):
        self.assoc = assoc
        self.unacked = [0, 0]
        self.timer = [0, 0]


@dataclass
class _Ue(_UeState):
    mme_i: int = 0
    steps_left: int = 0
    x2_old: int | None = None          # eNB UE X2AP IDs of a handover (source, target)
    x2_new: int | None = None
    menb_id: int | None = None         # MeNB / SgNB UE X2AP IDs of the NR leg
    sgnb_id: int | None = None
    source: tuple | None = None        # (eNB index, eNB UE S1AP ID[, MME UE S1AP ID]) left by a handover
    ho_target: tuple | None = None     # S1 handover: (target eNB, MME UE S1AP ID, eNB UE S1AP ID)
    pdcp: tuple = (0, 0)               # (PDCP SN, HFN) reported in the Status Transfers
    ded: dict | None = None            # the dedicated bearer being set up or torn down
    trace_conn: dict = field(default_factory=dict)   # eNB -> its 32.423 trace session of this UE
    s5_seq: int = 0
    sgw_s5_teid: int = 0
    last_s11: bytes = b""              # the last S11 request, for retransmissions


class World:
    """Plays subscribers over the topology and streams the outputs into ``outdir``."""

    def __init__(self, outdir: str | os.PathLike, *, seed=0, cells: int = 6, start_ns: int | None = None,
                 hours: float = 1.0, files: int = 1, size_mb: float | None = None, noise: bool = True,
                 retransmit: float = 0.01, chr_formats: Sequence[str] = ("chr-v1",)):
        self.out = Path(outdir)
        (self.out / "capture").mkdir(parents=True, exist_ok=True)
        chr_formats = {chr_export.ALIASES.get(f, f) for f in chr_formats}
        unknown = chr_formats - set(chr_export.FORMATS)
        if unknown or not chr_formats:
            raise ValueError(f"CHR formats are {', '.join(chr_export.FORMATS)}, not {', '.join(sorted(unknown))}")
        if "chr-v1" in chr_formats:
            (self.out / "chr").mkdir(exist_ok=True)
        self.seed, self.hours, self.noise = seed, hours, noise
        self.topo = topology(cells)
        self.start = start_ns if start_ns is not None else utc_ns("2026-11-27T08:00:00Z")
        self.size = int(size_mb * 1e6) if size_mb else None
        span = int(hours * 3600 * SEC)
        every_bytes = self.size // files if self.size else None
        every_ns = None if self.size else -(-span // files) if files > 1 else None
        self.probe_a = Rotating(self.out / "capture", "probe-a", every_ns=every_ns, every_bytes=every_bytes,
                                files=files)
        self.probe_b = Rotating(self.out / "capture", "probe-b", every_ns=every_ns,
                                every_bytes=every_bytes, files=files) if noise else None
        self.chr = ChrFiles(self.out / "chr", self.topo, self.start, seed, chr_v1="chr-v1" in chr_formats,
                            csv=[chr_export.VendorCsv(self.out / d, chr_export.MAPS / m)
                                 for f, (d, m) in chr_export.CSV_LAYOUTS.items() if f in chr_formats])
        self.xml = chr_export.TraceXml(self.out / "trace-xml", self.start) if "xml" in chr_formats else None
        self.rng = random.Random(f"{seed}:world")
        self.retransmit = retransmit if noise else 0.0
        self.outage_ns = self.start + int(span * 0.5)
        self.queue: list = []
        self.seq = 0
        self.last_ts = self.start
        self.links: dict = {}
        self.core = [_Core(m, seed) for m in self.topo.mmes]
        for c in self.core:     # each MME's GTPv2 sequence numbers start anywhere in 24 bits
            c.seq = self.rng.randrange(1, 0xFFFFFF)
        self.sgw_seq = self.rng.randrange(1, 0xFFFFFF)   # the SGW's own, for its S5 requests
        self.s5_ident = random.Random(f"{seed}:s5").getrandbits(16)
        self.enb_pools = [_IdPool(random.Random(f"{seed}:enb:{e.name}").randrange(1, 4000)) for e in self.topo.enbs]
        self.mme_pools = [_Increasing(0x0D000001 + (k << 24)) for k in range(len(self.topo.mmes))]
        self.x2_pools = [_IdPool(random.Random(f"{seed}:x2:{e.name}").randrange(1, 3000))   # UE-X2AP-ID is 12 bits
                         for e in self.topo.enbs]
        self.sgnb_pools = [_IdPool(7000 + 1000 * j) for j in range(len(self.topo.gnbs))]
        self.free_tmsi: list[int] = []
        self.truth_f = open(self.out / "truth.json", "w", encoding="utf-8")
        self.truth_f.write('{"ues": [\n')
        self.truth_n = 0
        self.counts = {"ues": 0, "packets": 0, "chr_records": 0, "bundled": 0}
        self.bundling = noise
        self.bundle_rng = random.Random(f"{seed}:bundle")
        self.held: dict = {}            # (association key, side) -> the S1AP message waiting
        self.held_gen = 0
        self.trace_n = 0

    # shared resources --------------------------------------------------------------------------

    def mme(self, st: _Ue) -> Mme:
        return self.topo.mmes[st.mme_i]

    def m_tmsi(self, rng: random.Random) -> int:
        """A fresh M-TMSI, or (noise) one a detached subscriber gave back."""
        if self.noise and self.free_tmsi and rng.random() < 0.5:
            return self.free_tmsi.pop(0)
        return rng.getrandbits(32) | 0xC0000000

    def push(self, t: int, kind: str, data) -> None:
        heapq.heappush(self.queue, (t, self.seq, kind, data))
        self.seq += 1

    @property
    def written(self) -> int:
        return (self.probe_a.total + (self.probe_b.total if self.probe_b else 0) + self.chr.total
                + (self.xml.bytes if self.xml else 0))

    # packets ------------------------------------------------------------------------------------

    def emit(self, t: int, pkts: list[bytes], *, probe_b: bool = False) -> int:
        t = max(t, self.last_ts)
        for i, p in enumerate(pkts):
            self.probe_a.write(t + i * 1000, p)
            if probe_b and self.probe_b:
                self.probe_b.write(t + i * 1000 + PROBE_B_SKEW_NS, p)
        self.last_ts = t + (len(pkts) - 1) * 1000
        self.counts["packets"] += len(pkts)
        return self.last_ts

    def link(self, key, t: int) -> _Link:
        """The SCTP association of ``key``, opened (INIT .. COOKIE ACK and setup) at first use."""
        ln = self.links.get(key)
        if ln is not None:
            return ln
        kind, a, b = key
        topo = self.topo
        if kind == "S1":
            assoc = Association(topo.enbs[a].ip, topo.mmes[b].ip, PORT_S1AP, PORT_S1AP, ppid=PPID_S1AP)
        elif kind == "S6a":
            m = topo.mmes[a]
            assoc = Association(m.ip, m.hss_ip, PORT_DIAMETER, PORT_DIAMETER, ppid=PPID_DIAMETER)
        else:   # X2: eNB-eNB (b >= 0) or eNB-gNB (b = -1 - gnb index)
            peer = topo.enbs[b].ip if b >= 0 else topo.gnbs[-1 - b].ip
            assoc = Association(topo.enbs[a].ip, peer, PORT_X2AP, PORT_X2AP, ppid=PPID_X2AP)
        ln = self.links[key] = _Link(assoc)
        t0 = max(t - 20 * MS, self.last_ts)
        for i, (_side, pkt) in enumerate(assoc.handshake()):
            self.emit(t0 + i * 300_000, [pkt])
        if kind == "S1":
            e, m = topo.enbs[a], topo.mmes[b]
            self._send(ln, key, t0 + 2 * MS, 0, s1ap.s1_setup_request(e.plmn, e.enb_id, [e.tac], enb_name=e.name), 0)
            self._send(ln, key, t0 + 4 * MS, 1, s1ap.s1_setup_response(m.plmn, m.mmegi, m.mmec, mme_name=m.name), 0)
        elif kind == "S6a":
            m = topo.mmes[a]
            hbh, e2e = self.core[a].request_ids()
            self._send(ln, key, t0 + 2 * MS, 0, dia.cer(m.diameter, hbh=hbh, e2e=e2e, product="chrtool-sim MME"), 0)
            self._send(ln, key, t0 + 4 * MS, 1, dia.cea(m.hss, hbh=hbh, e2e=e2e, product="chrtool-sim HSS"), 0)
        return ln

    def _send(self, ln: _Link, key, t: int, side: int, pdu: bytes, stream: int, *, ue=None,
              hold: bool = False) -> int:
        """Send ``pdu`` on the association ``key`` from ``side``; returns the packet's time.

        Bundling (noise): a UE-associated S1AP message may wait in the sender's queue for up to
        ``BUNDLE_WINDOW_NS`` (``hold``, decided by the caller: never a finding, never when the
        UE's own next step comes within the window); if another UE's message for the same peer
        comes meanwhile, both DATA chunks leave in one SCTP packet, as loaded stacks send them.
        Anything else on the association sends the waiting message first."""
        held = self.held.pop((key, side), None) if self.held else None
        if held is not None:
            h_t, h_pdu, h_stream, h_ue, _gen = held
            if h_ue != ue and ue is not None and t - h_t <= BUNDLE_WINDOW_NS:
                self.counts["bundled"] += 1
                return self._transmit(ln, key, t, side, [(h_pdu, h_stream), (pdu, stream)])
            self._transmit(ln, key, h_t, side, [(h_pdu, h_stream)])
        other = self.held.pop((key, 1 - side), None) if self.held else None
        if other is not None:
            self._transmit(ln, key, other[0], 1 - side, [(other[1], other[2])])
        if hold and self.bundling and self.bundle_rng.random() < BUNDLE_HOLD:
            self.held_gen += 1
            self.held[(key, side)] = (t, pdu, stream, ue, self.held_gen)
            self.push(t + BUNDLE_WINDOW_NS, "flush", ((key, side), self.held_gen))
            return t
        return self._transmit(ln, key, t, side, [(pdu, stream)])

    def _transmit(self, ln: _Link, key, t: int, side: int, items: list) -> int:
        pkts = ln.assoc.send_many(side, items)
        ts = self.emit(t, pkts, probe_b=key[0] == "S6a")
        if self.retransmit and self.rng.random() < self.retransmit:
            # the peer's SACK got lost: the same packet (same TSNs) goes out again after the RTO
            self.push(ts + RTO_NS, "raw", (pkts[-1], key[0] == "S6a"))
        ln.unacked[side] = 0
        ln.timer[side] += 1
        peer = 1 - side
        ln.unacked[peer] += 1
        delay = 200 * MS if ln.unacked[peer] == 1 else 200_000
        self.push(ts + delay, "sack", (key, peer, ln.timer[peer]))
        return ts

    def udp(self, t: int, src: str, dst: str, pdu: bytes) -> int:
        self.s5_ident = (self.s5_ident + 1) & 0xFFFF
        return self.emit(t, [udp_packet(src, dst, PORT_GTPC, PORT_GTPC, pdu, ident=self.s5_ident)], probe_b=True)

    # subscribers -----------------------------------------------------------------------------

    def admit(self, ue: Ue) -> None:
        life = Life(ue, self, self.start + int(ue.start * SEC))
        SCENARIOS[ue.scenario].life(life, SCENARIOS[ue.scenario].expect)
        rb = life.rng.getrandbits
        st = _Ue(ue, life, sgw_teid=rb(32), enb_teid=rb(32), sgw_s11_teid=rb(32), pgw_s5_teid=rb(32),
                 pgw_u_teid=rb(32), sgw_s5_teid=rb(32),
                 mme_i=self.topo.mmes.index(self.topo.mme_of(ue)))
        st.steps_left = len(life.steps)
        for here, after in zip(life.steps, life.steps[1:]):
            here.next_t = after.t           # how long a message of this UE may wait (bundling)
        self.counts["ues"] += 1
        for step in life.steps:
            self.push(step.t, "step", (st, step))

    def finish(self, st: _Ue) -> None:
        life = st.script
        sc = SCENARIOS[st.ue.scenario]
        f = life.finding
        entry = {"imsi": st.ue.imsi, "msisdn": st.ue.msisdn, "scenario": sc.name,
                 "expect": sc.truth(iso(f.time_ns) if f else None)}
        self.truth_f.write((",\n" if self.truth_n else "") + json.dumps(entry))
        self.truth_n += 1
        if life.detached:
            self.free_tmsi.append(life.guti[3])   # its M-TMSI may go to a later subscriber
        if self.xml is not None:                  # connections the UE left without a release
            for enb, conn in st.trace_conn.items():
                self.xml.end(self.topo.enbs[enb].name, conn)
            st.trace_conn.clear()

    # the step dispatcher ------------------------------------------------------------------------

    def play(self, t: int, st: _Ue, step) -> None:
        ue, topo = st.ue, self.topo
        mme = self.mme(st)
        enb = topo.enbs[ue.enb]
        a, kind = step.args, step.iface
        ts = None
        if kind == "CTL":
            if step.msg == "move" and a.get("s1"):   # S1 handover: the target's connection serves
                st.source = (ue.enb, st.enb_ue_id, st.mme_ue_id)
                st.ue = replace(ue, enb=a["enb"], cell=a["cell"])
                _e, st.mme_ue_id, st.enb_ue_id = st.ho_target
                st.ho_target = None
            elif step.msg == "move":    # the UE is now served by the handover's target
                st.source = (ue.enb, st.enb_ue_id)
                st.ue = replace(ue, enb=a["enb"], cell=a["cell"])
                st.enb_ue_id = self.enb_pools[a["enb"]].alloc()
            elif step.msg == "x2":
                st.menb_id = self.x2_pools[ue.enb].alloc()
        elif kind == "CHR":
            ids = {"cell": {"kind": "ecgi", "plmn": enb.plmn, "cell_id": enb.ecgi(ue.cell)[1]},
                   "imsi": ue.imsi, "s_tmsi": {"mmec": mme.mmec, "m_tmsi": st.script.guti[3]}}
            if st.mme_ue_id is not None:
                ids["mme_ue_s1ap_id"] = st.mme_ue_id
            if st.enb_ue_id is not None:
                ids["enb_ue_s1ap_id"] = st.enb_ue_id
            if a["ids"].get("x2") and st.menb_id is not None:
                ids["menb_ue_x2ap_id"] = st.menb_id
                if st.sgnb_id is not None:
                    ids["sgnb_ue_x2ap_id"] = st.sgnb_id
            ids["tac"] = enb.tac
            ts = self.chr.write(ue.enb, spec.record(step.msg, max(t, self.start), a["params"], **ids))
            self.counts["chr_records"] += 1
        elif kind == "S1" and a.get("at"):
            ts = self._s1_other(t, step, st, mme)
        elif kind == "S1":
            if step.msg == "InitialUEMessage":
                st.enb_ue_id = self.enb_pools[ue.enb].alloc()
            elif st.mme_ue_id is None and step.msg not in S1_UPLINK:
                st.mme_ue_id = self.mme_pools[st.mme_i].alloc()
            pdu = self._s1(step, st, enb, mme)
            key = ("S1", ue.enb, st.mme_i)
            ln = self.link(key, t)
            stream = 1 + st.enb_ue_id % (ln.assoc.streams - 1)
            ts = self._send(ln, key, t, 0 if step.msg in S1_UPLINK else 1, pdu, stream,
                            ue=ue.imsi, hold=self._may_wait(t, step))
            self._trace(st, ue.enb, ts, "S1", step.msg, "S1AP", pdu, step.msg in S1_UPLINK,
                        end=step.msg == "UEContextReleaseComplete")
            if step.msg == "UEContextReleaseComplete":
                self.enb_pools[ue.enb].free(st.enb_ue_id)
                self.mme_pools[st.mme_i].free(st.mme_ue_id)
                st.enb_ue_id = st.mme_ue_id = None
            elif a.get("silent"):       # nobody answered: the eNB forgets the connection
                self.enb_pools[ue.enb].free(st.enb_ue_id)
                st.enb_ue_id = None
        elif kind == "S6a":
            pdu, result = self._s6a(step, st, enb, mme)
            key = ("S6a", st.mme_i, 0)
            ts = self._send(self.link(key, t), key, t, 1 if result is not None else 0, pdu, 1)
        elif kind in ("S11", "S5") and step.msg in BEARER_MSGS:
            ts = self.udp(t, *self._bearer(step, st, enb, mme))
        elif kind == "S11":
            if a.get("again"):          # a retransmission: the same request, same sequence number
                pdu = st.last_s11
            else:
                step_ = step
                if a.get("cause") is not None:
                    pdu = self._s11_reject(st, mme, a["cause"])
                else:
                    pdu, _side, _res = _s11_pdu(step_, st, enb, mme, self.core[st.mme_i])
                st.last_s11 = pdu
            up = step.msg.endswith("Request")
            ts = self.udp(t, *((mme.ip, mme.sgw_c_ip) if up else (mme.sgw_c_ip, mme.ip)), pdu)
        elif kind == "S5":
            pdu, up = self._s5(step, st, enb, mme)
            ts = self.udp(t, *((mme.sgw_c_ip, mme.pgw_c_ip) if up else (mme.pgw_c_ip, mme.sgw_c_ip)), pdu)
        elif kind == "X2":
            for name in (a.get("alloc"),):
                if name == "x2_old":
                    st.x2_old = self.x2_pools[ue.enb].alloc()
                elif name == "x2_new":
                    st.x2_new = self.x2_pools[a["peer"][1]].alloc()
                elif name == "sgnb":
                    st.sgnb_id = self.sgnb_pools[a["peer"][1]].alloc()
            src = ue.enb                # the serving eNB (after a move: the target, to the source)
            peer_kind, peer_i = a["peer"]
            pdu = a["build"](st, self)
            if peer_kind == "gnb":
                key = ("X2", src, -1 - peer_i)
                side = a["side"]
            else:
                lo, hi = sorted((src, peer_i))
                key = ("X2", lo, hi)
                # side 0 is the serving (sending for side 0) eNB; map to the association's ends
                sender = src if a["side"] == 0 else peer_i
                side = 0 if sender == lo else 1
            ts = self._send(self.link(key, t), key, t, side, pdu, 1)
            self._trace(st, ue.enb, ts, "X2", step.msg, "X2AP", pdu, a["side"] == 0)
            if step.msg == "UEContextRelease":    # X2 handover done: source releases its IDs
                s_enb, s_id = st.source
                self.enb_pools[s_enb].free(s_id)
                self.x2_pools[s_enb].free(st.x2_old)
                self.x2_pools[ue.enb].free(st.x2_new)
                st.x2_old = st.x2_new = st.source = None
            elif step.msg in ("SgNBReleaseRequestAcknowledge", "SgNBReleaseConfirm", "SgNBAdditionRequestReject"):
                self.x2_pools[ue.enb].free(st.menb_id)
                if st.sgnb_id is not None:
                    self.sgnb_pools[peer_i].free(st.sgnb_id)
                st.menb_id = st.sgnb_id = None
            elif step.msg == "HandoverPreparationFailure":
                self.x2_pools[ue.enb].free(st.x2_old)
                st.x2_old = None
        else:
            raise ValueError(f"unknown step interface {kind!r}")
        if step.finding is not None and ts is not None:
            step.finding.time_ns = ts
        st.steps_left -= 1
        if st.steps_left == 0:
            self.finish(st)

    def _s1(self, step, st: _Ue, enb: Enb, mme: Mme) -> bytes:
        m, ids = step.msg, (st.mme_ue_id, st.enb_ue_id)
        ecgi = enb.ecgi(st.ue.cell)
        if m == "InitialUEMessage" and step.args.get("s_tmsi"):
            return s1ap.initial_ue_message(st.enb_ue_id, step.nas, enb.tai, ecgi,
                                           rrc_cause=step.args.get("rrc", "mo-Signalling"),
                                           s_tmsi=(mme.mmec, st.script.guti[3]))
        if m == "InitialContextSetupRequest" and step.nas is None:
            key = st.script.rng.randbytes(32)
            return s1ap.initial_context_setup_request(*ids, [s1ap.Erab(5, mme.sgw_ip, st.sgw_teid)],
                                                      security_key=key)
        if m == "InitialContextSetupFailure":
            return s1ap.initial_context_setup_failure(*ids, step.cause)
        if m == "PathSwitchRequest":
            return s1ap.path_switch_request(st.enb_ue_id, st.mme_ue_id, [s1ap.Erab(5, enb.ip, st.enb_teid)],
                                            enb.tai, enb.ecgi(st.ue.cell))
        if m == "PathSwitchRequestAcknowledge":
            return s1ap.path_switch_request_acknowledge(*ids)
        if m == "E-RABSetupRequest":
            d = st.ded
            return s1ap.erab_setup_request(*ids, [s1ap.Erab(d["ebi"], mme.sgw_ip, d["sgw_u"], qci=d["qci"],
                                                            priority=d["priority"])], [step.nas])
        if m == "E-RABSetupResponse":
            d = st.ded
            if step.cause is not None:
                return s1ap.erab_setup_response(*ids, failed=[(d["ebi"], step.cause)])
            return s1ap.erab_setup_response(*ids, [s1ap.Erab(d["ebi"], enb.ip, d["enb_u"])])
        if m == "E-RABReleaseCommand":
            return s1ap.erab_release_command(*ids, [(st.ded["ebi"], ("nas", "normal-release"))], nas=step.nas)
        if m == "E-RABReleaseResponse":
            return s1ap.erab_release_response(*ids, [st.ded["ebi"]])
        if m == "HandoverRequired":
            tgt, cell = step.args["target"]
            t_enb = self.topo.enbs[tgt]
            return s1ap.handover_required(*ids, ("radioNetwork", "handover-desirable-for-radio-reason"),
                                          (t_enb.plmn, t_enb.enb_id), t_enb.tai, t_enb.ecgi(cell), ecgi)
        if m == "HandoverCommand":
            return s1ap.handover_command(*ids)
        if m == "HandoverPreparationFailure":
            return s1ap.handover_preparation_failure(*ids, step.cause)
        if m == "ENBStatusTransfer":
            rng = st.script.rng
            st.pdcp = (rng.randrange(4096), rng.randrange(1 << 8))
            return s1ap.enb_status_transfer(*ids, ul=st.pdcp, dl=st.pdcp)
        if m == "HandoverNotify":
            return s1ap.handover_notify(*ids, ecgi, enb.tai)
        return _s1ap_pdu(step, st, enb, mme)

    def _trace(self, st: _Ue, enb: int, ts: int, function: str, name: str, proto: str, pdu: bytes,
               sent: bool, *, end: bool = False) -> None:
        """The message into eNB ``enb``'s 32.423 trace: the session of the UE's connection there."""
        if self.xml is None:
            return
        name_ = self.topo.enbs[enb].name
        conn = st.trace_conn.get(enb)
        if conn is None:
            self.trace_n += 1
            conn = st.trace_conn[enb] = self.trace_n
        self.xml.message(name_, conn, st.ue.imsi, ts, function, name, proto, pdu, sent=sent)
        if end:
            self.xml.end(name_, conn)
            del st.trace_conn[enb]

    @staticmethod
    def _may_wait(t: int, step) -> bool:
        return step.finding is None and getattr(step, "next_t", 0) > t + BUNDLE_WINDOW_NS

    def _s1_other(self, t: int, step, st: _Ue, mme: Mme) -> int:
        """An S1 handover's message on the other eNB's association: the target's (its new
        connection: Handover Request .. Acknowledge/Failure, MME Status Transfer) or, after the
        move, the source's (its release)."""
        topo, m, a = self.topo, step.msg, step.args
        if a["at"] == "target":
            if m == "HandoverRequest":        # (target eNB, MME UE S1AP ID, eNB UE S1AP ID)
                st.ho_target = (a["target"][0], self.mme_pools[st.mme_i].alloc(), None)
            elif m == "HandoverRequestAcknowledge":
                e_i = st.ho_target[0]
                st.ho_target = (e_i, st.ho_target[1], self.enb_pools[e_i].alloc())
            e_i, mme_id, enb_id = st.ho_target
        else:
            e_i, enb_id, mme_id = st.source
        enb = topo.enbs[e_i]
        if m == "HandoverRequest":
            tgt, cell = a["target"]
            pdu = s1ap.handover_request(mme_id, ("radioNetwork", "handover-desirable-for-radio-reason"),
                                        [s1ap.Erab(5, mme.sgw_ip, st.sgw_teid)], enb.ecgi(cell),
                                        topo.enbs[st.ue.enb].ecgi(st.ue.cell),
                                        next_hop=st.script.rng.randbytes(32))
        elif m == "HandoverRequestAcknowledge":
            st.enb_teid = st.script.rng.getrandbits(32)      # the target's S1-U downlink tunnel
            pdu = s1ap.handover_request_acknowledge(mme_id, enb_id, [s1ap.Erab(5, enb.ip, st.enb_teid)])
        elif m == "HandoverFailure":
            pdu = s1ap.handover_failure(mme_id, step.cause)
        elif m == "MMEStatusTransfer":
            pdu = s1ap.mme_status_transfer(mme_id, enb_id, ul=st.pdcp, dl=st.pdcp)
        elif m == "UEContextReleaseCommand":
            pdu = s1ap.ue_context_release_command(mme_id, enb_id, step.cause)
        elif m == "UEContextReleaseComplete":
            pdu = s1ap.ue_context_release_complete(mme_id, enb_id)
        else:
            raise ValueError(f"no builder for S1AP step {m} at the {a['at']}")
        key = ("S1", e_i, st.mme_i)
        ln = self.link(key, t)
        up = m in S1_UPLINK
        ts = self._send(ln, key, t, 0 if up else 1, pdu, 1 + (enb_id if enb_id is not None else mme_id)
                        % (ln.assoc.streams - 1), ue=st.ue.imsi, hold=self._may_wait(t, step))
        self._trace(st, e_i, ts, "S1", m, "S1AP", pdu, up, end=m in ("UEContextReleaseComplete", "HandoverFailure"))
        if m == "HandoverFailure":
            st.ho_target = None
        elif m == "UEContextReleaseComplete":     # the source's connection is gone
            self.enb_pools[e_i].free(enb_id)
            st.source = None
        return ts

    def _s6a(self, step, st: _Ue, enb: Enb, mme: Mme):
        a = step.args
        if step.msg == "ULA" and a.get("apns") is not None:
            sid, hbh, e2e = st.diameter     # a subscription without the APN the UE asks for
            sub = dia.subscription_data(msisdn=st.ue.msisdn, apns=[dia.Apn(x) for x in a["apns"] or ["internet"]])
            return dia.ula(sid, mme.hss, hbh=hbh, e2e=e2e, subscription=sub), dia.DIAMETER_SUCCESS
        return _s6a_pdu(step, st, enb, mme, self.core[st.mme_i])

    def _bearer(self, step, st: _Ue, enb: Enb, mme: Mme) -> tuple[str, str, bytes]:
        """A dedicated bearer's GTPv2 message on S5 (PGW - SGW) or S11 (SGW - MME): (source
        address, destination address, PDU). Requests come from the PGW and the SGW, each with its
        own sequence numbers; the answers echo them."""
        F, a, m = gtp.Fteid, step.args, step.msg
        s5 = step.iface == "S5"
        if m == "CreateBearerRequest" and s5:      # a new bearer: its tunnels and charging id
            rb = st.script.rng.getrandbits
            st.ded = {"ebi": a["ebi"], "qci": a["qci"], "priority": 9, "sgw_u": rb(32), "pgw_u": rb(32),
                      "sgw_s5u": rb(32), "enb_u": rb(32), "charging": rb(32)}
        d = st.ded
        if m.endswith("Request"):
            self.sgw_seq = (self.sgw_seq + 1) & 0xFFFFFF   # PGW and SGW draw from the same
            d["seq_s5" if s5 else "seq_s11"] = self.sgw_seq  # counter here; distinct either way
        seq = d["seq_s5" if s5 else "seq_s11"]
        pgw_u = F(gtp.IF_S5S8_PGW_U, d["pgw_u"], mme.pgw_u_ip)
        if m == "CreateBearerRequest":
            if s5:
                pdu = gtp.create_bearer_request(seq=seq, teid=st.sgw_s5_teid, linked_ebi=5, tft=a["tft"],
                                                qci=d["qci"], priority=d["priority"], uplink=pgw_u,
                                                charging=d["charging"])
            else:
                pdu = gtp.create_bearer_request(seq=seq, teid=st.mme_s11_teid, linked_ebi=5, tft=a["tft"],
                                                qci=d["qci"], priority=d["priority"],
                                                uplink=F(gtp.IF_S1U_SGW, d["sgw_u"], mme.sgw_ip), s5u_pgw=pgw_u)
        elif m == "CreateBearerResponse":
            cause = a.get("cause") or gtp.REQUEST_ACCEPTED
            if s5:
                pdu = gtp.create_bearer_response(seq=seq, teid=st.pgw_s5_teid, ebi_=d["ebi"], cause_=cause,
                                                 s5u_sgw=F(gtp.IF_S5S8_SGW_U, d["sgw_s5u"], mme.sgw_ip),
                                                 s5u_pgw=pgw_u)
            else:
                pdu = gtp.create_bearer_response(seq=seq, teid=st.sgw_s11_teid, ebi_=d["ebi"], cause_=cause,
                                                 s1u_enb=F(gtp.IF_S1U_ENB, d["enb_u"], enb.ip),
                                                 s1u_sgw=F(gtp.IF_S1U_SGW, d["sgw_u"], mme.sgw_ip))
        elif m == "DeleteBearerRequest":
            pdu = gtp.delete_bearer_request(seq=seq, teid=st.sgw_s5_teid if s5 else st.mme_s11_teid,
                                            ebis=[d["ebi"]])
        else:
            pdu = gtp.delete_bearer_response(seq=seq, teid=st.pgw_s5_teid if s5 else st.sgw_s11_teid,
                                             ebis=[d["ebi"]])
        if m.endswith("Response") and (m == "DeleteBearerResponse" or a.get("cause")) and s5:
            st.ded = None                            # the bearer is gone (or never was)
        down = m.endswith("Request")                 # requests flow PGW -> SGW -> MME
        if s5:
            ends = (mme.pgw_c_ip, mme.sgw_c_ip)
        else:
            ends = (mme.sgw_c_ip, mme.ip)
        return (*(ends if down else ends[::-1]), pdu)

    def _s11_reject(self, st: _Ue, mme: Mme, cause: int) -> bytes:
        F = gtp.Fteid
        return gtp.create_session_response(
            seq=st.gtp_seq, mme_teid=st.mme_s11_teid, sgw_c=F(gtp.IF_S11S4_SGW, st.sgw_s11_teid, mme.sgw_c_ip),
            pgw_c=F(gtp.IF_S5S8_PGW_C, 0, mme.pgw_c_ip), ue_ip="0.0.0.0",
            s1u_sgw=F(gtp.IF_S1U_SGW, 0, mme.sgw_ip), s5u_pgw=F(gtp.IF_S5S8_PGW_U, 0, mme.pgw_u_ip),
            cause_=cause)

    def _s5(self, step, st: _Ue, enb: Enb, mme: Mme) -> tuple[bytes, bool]:
        """The SGW's Create Session towards the PGW (S5) and the PGW's answer."""
        F, ue = gtp.Fteid, st.ue
        if step.msg == "CreateSessionRequest":
            self.sgw_seq = (self.sgw_seq + 1) & 0xFFFFFF
            st.s5_seq = self.sgw_seq
            return gtp.create_session_request(
                seq=st.s5_seq, imsi_=ue.imsi, msisdn_=ue.msisdn, imeisv=None, tai=enb.tai,
                ecgi=enb.ecgi(ue.cell), serving_plmn=enb.plmn,
                mme_c=F(gtp.IF_S5S8_SGW_C, st.sgw_s5_teid, mme.sgw_c_ip),
                pgw_c=F(gtp.IF_S5S8_PGW_C, 0, mme.pgw_c_ip), apn_=ue.apn), True
        cause = step.args.get("cause") or gtp.REQUEST_ACCEPTED
        return gtp.create_session_response(
            seq=st.s5_seq, mme_teid=st.sgw_s5_teid, sgw_c=F(gtp.IF_S5S8_PGW_C, st.pgw_s5_teid, mme.pgw_c_ip),
            pgw_c=F(gtp.IF_S5S8_PGW_C, st.pgw_s5_teid, mme.pgw_c_ip), ue_ip=st.script.ip,
            s1u_sgw=F(gtp.IF_S5S8_PGW_U, st.pgw_u_teid, mme.pgw_u_ip),
            s5u_pgw=F(gtp.IF_S5S8_PGW_U, st.pgw_u_teid, mme.pgw_u_ip), cause_=cause), False

    # the main loop -------------------------------------------------------------------------------

    def run(self, ues: Iterable[Ue]) -> dict:
        pending = iter(ues)
        nxt = next(pending, None)
        while True:
            if self.size and self.written >= self.size:
                nxt = None                          # enough: let the admitted lives end
            while nxt is not None and (not self.queue or self.start + int(nxt.start * SEC) <= self.queue[0][0]):
                self.admit(nxt)
                nxt = next(pending, None)
                if self.size and self.written >= self.size:
                    nxt = None
            if not self.queue:
                break
            t, _, kind, data = heapq.heappop(self.queue)
            if kind == "step":
                self.play(t, *data)
            elif kind == "sack":
                key, side, gen = data
                ln = self.links[key]
                if ln.timer[side] == gen and ln.unacked[side]:
                    self.emit(t, ln.assoc.sack(side), probe_b=key[0] == "S6a")
                    ln.unacked[side] = 0
                    ln.timer[side] += 1
            elif kind == "raw":
                self.emit(t, [data[0]], probe_b=data[1])
            elif kind == "flush":       # nobody came to share the packet: it goes alone
                where, gen = data
                h = self.held.get(where)
                if h is not None and h[4] == gen:
                    del self.held[where]
                    self._transmit(self.links[where[0]], where[0], h[0], where[1], [(h[1], h[2])])
        return self.close()

    def close(self) -> dict:
        self.truth_f.write("\n]}\n")
        self.truth_f.close()
        self.probe_a.close()
        if self.probe_b:
            self.probe_b.close()
        self.chr.close()
        if self.xml is not None:
            self.xml.close(self.last_ts)
        return {**self.counts, "bytes": self.written,
                "captures": [str(p.relative_to(self.out)) for p in
                             self.probe_a.files + (self.probe_b.files if self.probe_b else [])]}


def run(outdir, *, seed=0, ues: int = 50, cells: int = 6, scenarios: Sequence[str] = (),
        hours: float = 1.0, size_mb: float | None = None, files: int = 1, noise: bool = True,
        chr_formats: Sequence[str] = ("chr-v1",), first_ue: int = 1) -> dict:
    """Write a simulated day into ``outdir``; returns counts (UEs, packets, CHR records, bytes).
    ``first_ue``: the first subscriber number (see :func:`population`)."""
    names = list(scenarios) or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; see chrtool simulate --list")
    topo = topology(cells)
    lonely = [n for n in names if SCENARIOS[n].needs == "nbr" and not topo.neighbours(0)]
    if lonely:
        raise ValueError(f"scenario(s) {', '.join(sorted(set(lonely)))} hand over to a neighbouring eNB: "
                         f"--cells {cells} makes one eNB; give at least 4 cells")
    w = World(outdir, seed=seed, cells=cells, hours=hours, files=files, size_mb=size_mb, noise=noise,
              chr_formats=chr_formats)
    return w.run(population(w.topo, names, None if size_mb else ues, seed=seed, hours=hours,
                            outage_s=(w.outage_ns - w.start) / SEC, first_ue=first_ue))
