"""The scenario catalogue of ``chrtool simulate``: one entry per scenario, with the procedures a
subscriber goes through, the fault injected and what a correct diagnosis must say.

A subscriber's life is written with :class:`Life`, which extends the attach building blocks of
:mod:`scenarios` (attach, authentication, security mode, release, detach) with idle/active cycles
(Service Request by S-TMSI, TAU), X2 handover, EN-DC addition and release over X2, the eNB's CHR
records (RRC set-up and release, measurement reports, radio link failure, handover and SgNB
events), and the S5 leg behind the SGW. Steps are only *planned* here; :mod:`world` plays them
in time order and fills in what depends on that order (S1AP/X2AP IDs, TSNs, frame numbers).

``Scenario.expect`` is the truth: the nodes a diagnosis may name, the root cause object
(DESIGN.md) and the category; ``None`` is a healthy subscriber. The step that carries the root
cause is marked with ``Life.fault`` so the truth gets its time. ``rule`` names the rule of
chrtool/diagnose/rules.toml the scenario exercises (None where no rule exists yet).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from chrtool.decoders import chr_v1 as spec
from chrtool.simulate import diameter_build as dia
from chrtool.simulate import gtpv2_build as gtp
from chrtool.simulate import nas_build as nas
from chrtool.simulate import s1ap_build as s1ap
from chrtool.simulate import x2ap_build as x2ap
from chrtool.simulate.scenarios import HSS, MME_, RADIO, SGW, UE, Finding, _Script, _Step

S = 1000                      # ms per second, for delays given in ms
NS = 1_000_000_000            # ns per second, for moving a life's clock (Life.t)


def chr_cause(kind: str, name: str) -> dict:
    k, v = spec.cause_value(kind, name)
    return {"proto": "CHR", "group": kind, "value": v, "name": name}


def diameter_cause(code: int, experimental: bool = True) -> dict:
    names = {5001: "DIAMETER_ERROR_USER_UNKNOWN", 5004: "DIAMETER_ERROR_ROAMING_NOT_ALLOWED",
             5420: "DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION"}
    return {"proto": "Diameter", "group": "experimental-result" if experimental else "result-code",
            "value": code, "name": names[code]}


def gtp_cause(value: int) -> dict:
    names = {73: "No resources available", 100: "Remote peer not responding"}
    return {"proto": "GTPv2", "group": None, "value": value, "name": names[value]}


class Life(_Script):
    """One subscriber's planned steps. ``world`` gives the topology (neighbours, gNBs) and the
    radio it lives in; ``self.at`` is the (eNB index, cell) it is on, as planned."""

    def __init__(self, ue, world, t0: int):
        enb = world.topo.enbs[ue.enb]
        super().__init__(ue, enb, world.topo.mme_of(ue), t0, world.seed, True)
        self.world = world
        self.at = (ue.enb, ue.cell)
        self.finding: Finding | None = None
        self.detached = False
        self.guti = (self.mme.plmn, self.mme.mmegi, self.mme.mmec, world.m_tmsi(self.rng))

    # steps on the other interfaces ------------------------------------------------------------

    def chr(self, delay, event: str, params=(), **ids) -> _Step:
        """A CHR record of the serving eNB (the engine adds IMSI, cell and the UE's S1AP IDs)."""
        return self.step(delay, event, iface="CHR", args={"params": list(params), "ids": ids})

    def x2(self, delay, msg: str, build: Callable, peer: tuple[str, int], side: int, **kw) -> _Step:
        """An X2AP message between the serving eNB (side 0) and ``peer`` ("gnb"|"enb", index)."""
        return self.step(delay, msg, iface="X2", args={"build": build, "peer": peer, "side": side, **kw})

    def ctl(self, delay, what: str, **kw) -> _Step:
        """A change of the UE's state at that time (move to a cell, new X2AP IDs)."""
        return self.step(delay, what, iface="CTL", args=kw)

    def fault(self, step: _Step, expect) -> _Step:
        nodes, cause, category = expect
        step.finding = self.finding = Finding("", nodes[0], list(nodes), "", cause, category)
        return step

    def meas(self, rsrp: float, sinr: float, *, nr: tuple[float, float] | None = None,
             neighbour: float | None = None, delay=(200, 800)) -> _Step:
        p = [spec.p_meas("rsrp", rsrp), spec.p_meas("rsrq", -10.5 + (rsrp + 95) / 8),
             spec.p_meas("sinr", sinr), spec.p_meas("cqi", max(1, min(15, int(sinr / 2 + 8))))]
        if neighbour is not None:
            p.append(spec.p_meas("rsrp", neighbour, neighbour=True, pci=self.rng.randrange(504)))
        if nr is not None:
            p += [spec.p_meas("ss_rsrp", nr[0]), spec.p_meas("ss_sinr", nr[1])]
        return self.chr(delay, "MEAS_REPORT", p)

    def good_radio(self) -> tuple[float, float]:
        return round(self.rng.uniform(-100, -75), 1), round(self.rng.uniform(5, 25), 1)

    # connections ------------------------------------------------------------------------------

    def attach(self) -> None:
        self.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"),
                                             ("est_cause", 3)])      # mo-Signalling
        self.attach_request()
        self.authenticate()
        self.security()
        self.accept()

    def accept(self) -> None:
        """Attach accept as in :mod:`scenarios`, with the S5 leg between SGW and PGW."""
        super().accept()
        # the S5 Create Session sits between the S11 request and response just planned
        csr = next(i for i, s in enumerate(self.steps) if s.msg == "CreateSessionRequest")
        rsp = self.steps[csr + 1]
        t = self.steps[csr].t
        gap = rsp.t - t
        self.steps.insert(csr + 1, _Step(t + gap // 3, "CreateSessionRequest", iface="S5"))
        self.steps.insert(csr + 2, _Step(t + 2 * gap // 3, "CreateSessionResponse", iface="S5"))

    def go_idle(self, cause="user-inactivity", idle=(10 * S, 12 * S)) -> None:
        self.release(("radioNetwork", cause), by_enb=True, delay=idle)
        self.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", cause)])

    def service_request(self, *, answered: bool = True, rrc: str | None = "mo-Data") -> None:
        """Service Request by S-TMSI from idle; ``answered``: the MME sets the bearers up and
        the eNB accepts (otherwise the caller plays the answer). ``rrc`` None: the Initial UE
        Message's default establishment cause."""
        self.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 4)])
        count, self.ul_count = self.ul_count, self.ul_count + 1
        self.step((0, 0), "InitialUEMessage", nas=nas.service_request(seq=count),
                  args={"s_tmsi": True, "rrc": rrc} if rrc else {"s_tmsi": True})
        if not answered:
            return
        self.step(MME_, "InitialContextSetupRequest")
        self.step(RADIO, "InitialContextSetupResponse")
        self.step(MME_, "ModifyBearerRequest", iface="S11")
        self.step(SGW, "ModifyBearerResponse", iface="S11")

    def tau(self) -> None:
        """Periodic TAU from idle: integrity protected request, ciphered accept, release."""
        self.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 3)])
        req = nas.tracking_area_update_request(guti=self.guti, update_type=3)
        self.step((0, 0), "InitialUEMessage", nas=self.protected(req, True, nas.INTEGRITY),
                  args={"s_tmsi": True})
        acc = nas.tracking_area_update_accept(bearers=[5])
        self.step(MME_, "DownlinkNASTransport", nas=self.protected(acc, False))
        self.release(("nas", "normal-release"), delay=(50, 150))
        self.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "mme-initiated")])

    def detach(self) -> None:
        self.ue = replace(self.ue, then="detach")
        self.after_attach()
        self.detached = True
        self.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "mme-initiated")])

    # mobility ---------------------------------------------------------------------------------

    def _ho_attempt(self, target: int, cell: int) -> tuple:
        """The radio picture that triggers a handover (a neighbour 3 dB above the fading serving
        cell) and the eNB's HO_ATTEMPT record; returns the target cell's ECGI."""
        tgt_ecgi = self.world.topo.enbs[target].ecgi(cell)
        r, s = self.good_radio()
        self.meas(r - 12, s - 4, neighbour=r - 3)
        self.chr((5, 20), "HO_ATTEMPT", [spec.p_cell("target_cell", "ecgi", *tgt_ecgi),
                                         spec.p_cause("ho-reason", "a3-coverage")])
        return tgt_ecgi

    def x2_handover(self, target: int, cell: int, *, fail: tuple | None = None) -> _Step | None:
        """X2 handover to ``target``'s ``cell``; with ``fail`` (an X2AP cause) the target refuses
        and the UE stays. Returns the failure's step."""
        topo, src = self.world.topo, self.at
        tgt_ecgi = self._ho_attempt(target, cell)
        cause = ("radioNetwork", "handover-desirable-for-radio-reasons")
        peer = ("enb", target)
        self.x2((1, 5), "HandoverRequest", lambda st, w: x2ap.handover_request(
            st.x2_old, cause, tgt_ecgi, w.mme(st).mmegi, w.mme(st).mmec, st.mme_ue_id,
            w.mme(st).sgw_ip, st.sgw_teid, w.topo.enbs[st.ue.enb].ecgi(st.ue.cell)), peer, 0,
            alloc="x2_old")
        if fail is not None:
            step = self.x2((5, 20), "HandoverPreparationFailure",
                           lambda st, w: x2ap.handover_preparation_failure(st.x2_old, fail), peer, 1)
            self.chr((1, 3), "HO_RESULT", [spec.p_cell("target_cell", "ecgi", *tgt_ecgi),
                                           spec.p_cause("ho-result", "prep-failure"),
                                           spec.p_proto_cause(2, 0, x2ap.cause_object(fail)["value"])])
            return step
        self.x2((5, 20), "HandoverRequestAcknowledge",
                lambda st, w: x2ap.handover_request_acknowledge(st.x2_old, st.x2_new), peer, 1,
                alloc="x2_new")
        self.chr((1, 3), "HO_EXECUTION", [spec.p_cell("target_cell", "ecgi", *tgt_ecgi),
                                          spec.p_cause("ho-reason", "a3-coverage")])
        self.chr((0, 1), "HO_RESULT", [spec.p_cell("target_cell", "ecgi", *tgt_ecgi),
                                       spec.p_cause("ho-result", "success")])
        self.ctl((20, 40), "move", enb=target, cell=cell)
        self.at = (target, cell)
        self.enb = topo.enbs[target]
        self.step((0, 0), "PathSwitchRequest")
        self.step(MME_, "ModifyBearerRequest", iface="S11")
        self.step(SGW, "ModifyBearerResponse", iface="S11")
        self.step(MME_, "PathSwitchRequestAcknowledge")
        self.x2((2, 8), "UEContextRelease", lambda st, w: x2ap.ue_context_release(st.x2_old, st.x2_new),
                ("enb", src[0]), 0, source=True)
        return None

    def s1_handover(self, target: int, cell: int, *, fail: tuple | None = None) -> _Step | None:
        """S1 handover through the MME to ``target``'s ``cell`` (TS 36.413 8.4, 23.401 5.5.1.2):
        Handover Required, Handover Request to the target (the MME gives the target connection a
        new MME UE S1AP ID, which the UE keeps), Acknowledge with the target's new eNB UE S1AP ID,
        Handover Command, eNB/MME Status Transfer, Handover Notify from the target, Modify Bearer
        towards the SGW and the release of the source's connection (successful-handover).

        With ``fail`` (an S1AP cause) the target answers Handover Failure, the MME sends Handover
        Preparation Failure with that cause to the source and the UE stays; returns the target's
        Handover Failure (the root)."""
        topo = self.world.topo
        tgt_ecgi = self._ho_attempt(target, cell)
        self.step((1, 5), "HandoverRequired", args={"target": (target, cell)})
        self.step(MME_, "HandoverRequest", args={"at": "target", "target": (target, cell)})
        if fail is not None:
            root = self.step(RADIO, "HandoverFailure", cause=fail, args={"at": "target"})
            self.step(MME_, "HandoverPreparationFailure", cause=fail)
            self.chr((1, 3), "HO_RESULT", [spec.p_cell("target_cell", "ecgi", *tgt_ecgi),
                                           spec.p_cause("ho-result", "prep-failure"),
                                           spec.p_proto_cause(1, 0, s1ap.cause_object(fail)["value"])])
            return root
        self.step(RADIO, "HandoverRequestAcknowledge", args={"at": "target"})
        self.step(MME_, "HandoverCommand")
        self.chr((1, 3), "HO_EXECUTION", [spec.p_cell("target_cell", "ecgi", *tgt_ecgi),
                                          spec.p_cause("ho-reason", "a3-coverage")])
        if self.rng.random() < 0.7:      # PDCP status preserved: the COUNTs go source -> target
            self.step((1, 3), "ENBStatusTransfer")
            self.step(MME_, "MMEStatusTransfer", args={"at": "target"})
        self.chr((0, 1), "HO_RESULT", [spec.p_cell("target_cell", "ecgi", *tgt_ecgi),
                                       spec.p_cause("ho-result", "success")])
        self.ctl((15, 40), "move", enb=target, cell=cell, s1=True)
        self.at = (target, cell)
        self.enb = topo.enbs[target]
        self.step((0, 0), "HandoverNotify")
        self.step(MME_, "ModifyBearerRequest", iface="S11")
        self.step(SGW, "ModifyBearerResponse", iface="S11")
        cause = ("radioNetwork", "successful-handover")
        self.step((2, 10), "UEContextReleaseCommand", cause=cause, args={"at": "source"})
        self.step((5, 15), "UEContextReleaseComplete", args={"at": "source"})
        return None

    def dedicated_bearer(self, *, fail: tuple | None = None, hold=(5 * S, 30 * S), ebi: int = 6,
                         qci: int = 7) -> _Step | None:
        """A network-initiated dedicated bearer (TS 23.401 5.4.1) on the default PDN connection:
        the PGW's Create Bearer Request on S5, the SGW's on S11, E-RAB Setup Request carrying
        the NAS Activate Dedicated EPS Bearer Context Request, E-RAB Setup Response, the UE's
        Accept, Create Bearer Response on S11 and S5. After ``hold`` the PGW deletes it again
        (Delete Bearer, E-RAB Release with Deactivate EPS Bearer Context).

        With ``fail`` (an S1AP cause) the eNB lists the E-RAB as failed to set up, the UE never
        sees the NAS message, and the MME refuses the bearer with GTPv2 cause #73 No resources
        available, which the SGW relays to the PGW; returns the E-RAB Setup Response (the root)."""
        peer = self.rng.choice(("10.99.0.5", "10.99.0.17", "10.99.1.40"))
        tft = nas.tft_create(peer, port=self.rng.choice((5004, 5060, 8801)))
        args = {"ebi": ebi, "qci": qci, "tft": tft}
        self.step((0, 0), "CreateBearerRequest", iface="S5", args=args)
        self.step((1, 3), "CreateBearerRequest", iface="S11", args=args)
        req = nas.activate_dedicated_bearer_request(ebi=ebi, qci=qci, tft=tft)
        self.step(MME_, "E-RABSetupRequest", nas=self.protected(req, False), args=args)
        if fail is not None:
            root = self.step(RADIO, "E-RABSetupResponse", cause=fail, args=args)
            rej = {**args, "cause": gtp.NO_RESOURCES_AVAILABLE}
            self.step(MME_, "CreateBearerResponse", iface="S11", args=rej)
            self.step((1, 3), "CreateBearerResponse", iface="S5", args=rej)
            return root
        self.step(RADIO, "E-RABSetupResponse", args=args)
        self.step((5, 30), "UplinkNASTransport",
                  nas=self.protected(nas.activate_dedicated_bearer_accept(ebi=ebi), True))
        self.step(MME_, "CreateBearerResponse", iface="S11", args=args)
        self.step((1, 3), "CreateBearerResponse", iface="S5", args=args)
        # the service ends: the PGW takes the bearer down
        self.step(hold, "DeleteBearerRequest", iface="S5", args=args)
        self.step((1, 3), "DeleteBearerRequest", iface="S11", args=args)
        self.step(MME_, "E-RABReleaseCommand", nas=self.protected(nas.deactivate_bearer_request(ebi=ebi), False),
                  args=args)
        self.step(RADIO, "E-RABReleaseResponse", args=args)
        self.step((5, 30), "UplinkNASTransport",
                  nas=self.protected(nas.deactivate_bearer_accept(ebi=ebi), True))
        self.step(MME_, "DeleteBearerResponse", iface="S11", args=args)
        self.step((1, 3), "DeleteBearerResponse", iface="S5", args=args)
        return None

    def neighbour(self) -> tuple[int, int]:
        enb, _ = self.at
        nbrs = self.world.topo.neighbours(enb)
        t = self.rng.choice(nbrs)
        return t, self.rng.choice(self.world.topo.cells[t])

    # EN-DC ------------------------------------------------------------------------------------

    def gnb(self) -> int | None:
        return self.world.topo.gnb_of[self.at[0]]

    def endc_add(self, *, reject: tuple | None = None, chr_fail: str | None = None,
                 nr=(-95.0, 12.0)) -> _Step:
        """B1 report, SgNB Addition Request; a reject (X2AP cause) or acknowledge; with
        ``chr_fail`` the UE does not reach the SCG and the MeNB releases. Returns the last
        significant step (the reject or the failure record)."""
        g = self.gnb()
        topo = self.world.topo
        nr_cgi = topo.gnbs[g].nr_cgi(self.rng.randrange(1, 3))
        self.meas(*self.good_radio(), nr=nr)
        self.ctl((0, 0), "x2", alloc="menb")
        self.chr((5, 15), "SGNB_ADDITION_ATTEMPT", [spec.p_cell("secondary_cell", "nr_cgi", *nr_cgi),
                                                     spec.p_meas("ss_rsrp", nr[0])], x2=True)
        peer = ("gnb", g)
        self.x2((1, 3), "SgNBAdditionRequest", lambda st, w: x2ap.sgnb_addition_request(
            st.menb_id, w.topo.enbs[st.ue.enb].ecgi(st.ue.cell), w.mme(st).sgw_ip, st.sgw_teid), peer, 0)
        if reject is not None:
            step = self.x2((5, 20), "SgNBAdditionRequestReject",
                           lambda st, w: x2ap.sgnb_addition_request_reject(st.menb_id, reject), peer, 1)
            self.chr((1, 3), "SGNB_ADDITION_RESULT", [spec.p_cause("sgnb-addition-result", "sgnb-reject"),
                                                       spec.p_proto_cause(2, 0, x2ap.cause_object(reject)["value"])],
                     x2=True)
            return step
        self.x2((5, 20), "SgNBAdditionRequestAcknowledge", lambda st, w: x2ap.sgnb_addition_request_acknowledge(
            st.menb_id, st.sgnb_id, w.topo.gnbs[g].ip, st.sgw_teid ^ 0x5A5A), peer, 1, alloc="sgnb")
        if chr_fail is not None:
            step = self.chr((30, 80), "SGNB_ADDITION_RESULT", [
                spec.p_cause("sgnb-addition-result", chr_fail), spec.p_meas("ss_rsrp", nr[0]),
                spec.p_meas("ss_sinr", nr[1])], x2=True)
            self.endc_release(("radioNetwork", "unspecified"), delay=(1, 5), record=False)
            return step
        self.x2((10, 30), "SgNBReconfigurationComplete",
                lambda st, w: x2ap.sgnb_reconfiguration_complete(st.menb_id, st.sgnb_id), peer, 0)
        return self.chr((1, 3), "SGNB_ADDITION_RESULT", [spec.p_cause("sgnb-addition-result", "success")],
                        x2=True)

    def endc_release(self, cause=("radioNetwork", "action-desirable-for-radio-reasons"), delay=(2 * S, 6 * S),
                     record: str | None = "normal-release") -> None:
        peer = ("gnb", self.gnb())
        self.x2(delay, "SgNBReleaseRequest",
                lambda st, w: x2ap.sgnb_release_request(st.menb_id, st.sgnb_id, cause), peer, 0)
        self.x2((5, 15), "SgNBReleaseRequestAcknowledge",
                lambda st, w: x2ap.sgnb_release_request_acknowledge(st.menb_id, st.sgnb_id), peer, 1)
        if record:
            self.chr((0, 2), "SGNB_RELEASE", [spec.p_cause("sgnb-release", record)], x2=True)

    # failures on the radio side --------------------------------------------------------------

    def radio_link_failure(self, rsrp: float, sinr: float, rlf: str, expect=None) -> _Step:
        self.meas(rsrp + 2, sinr + 1, delay=(500, 1500))
        step = self.chr((300, 900), "RADIO_LINK_FAILURE", [
            spec.p_cause("rlf", rlf), spec.p_meas("rsrp", rsrp), spec.p_meas("sinr", sinr)])
        if expect:
            self.fault(step, expect)
        self.release(("radioNetwork", "radio-connection-with-ue-lost"), by_enb=True, delay=(100, 300))
        self.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "radio-link-failure")])
        return step


# ------------------------------------------------------------------------------------ the lives

def busy_day(s: Life, cycles: int | None = None) -> None:
    """What a healthy subscriber does after its attach: a few active periods with measurement
    reports, EN-DC legs where a gNB serves the cell, handovers, idle periods ended by a Service
    Request or a periodic TAU; then it detaches or stays idle."""
    rng = s.rng
    for i in range(cycles if cycles is not None else rng.randint(1, 3)):
        s.meas(*s.good_radio(), nr=(rng.uniform(-100, -80), rng.uniform(5, 20)) if s.gnb() is not None else None)
        if s.gnb() is not None and rng.random() < 0.6:
            s.endc_add()
            s.endc_release()
        if rng.random() < 0.35:          # a video call or streaming session: a dedicated bearer
            s.dedicated_bearer()
        if rng.random() < 0.4 and s.world.topo.neighbours(s.at[0]):
            if rng.random() < 0.3:      # no X2 to that neighbour (or not allowed): through the MME
                s.s1_handover(*s.neighbour())
            else:
                s.x2_handover(*s.neighbour())
        s.go_idle()
        if rng.random() < 0.3:
            s.t += rng.randint(20, 60) * NS
            s.tau()
        s.t += rng.randint(5, 40) * NS
        s.service_request()
    if rng.random() < 0.5:
        s.detach()
    else:
        s.go_idle()


def _reject_attach(s: Life, emm: int, *, hss: tuple[str, int] | None = None, nas_auth=True,
                   esm: int | None = None, zones=False, s5_cause: int | None = None) -> _Step:
    """Attach Request .. Attach Reject with EMM ``emm`` (and a PDN Connectivity Reject with
    ``esm`` inside). ``hss=("AIA"|"ULA", code)`` makes the HSS refuse; ``s5_cause`` makes the
    PGW refuse the Create Session, relayed by the SGW."""
    s.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 3)])
    s.attach_request()
    root = None
    if hss and hss[0] == "AIA":
        root = s.step(MME_, "AIR", iface="S6a")
        root = s.step(HSS, "AIA", iface="S6a", args={"result": hss[1]})
    else:
        s.authenticate(nas_auth=nas_auth)
        if nas_auth:
            s.security()
        code = hss[1] if hss else dia.DIAMETER_SUCCESS
        s.step(MME_, "ULR", iface="S6a", args={"imeisv": nas_auth})
        root = s.step(HSS, "ULA", iface="S6a", args={"result": code, "zones": zones,
                                                      "apns": [] if esm == 27 else None})
        if s5_cause is not None:
            s.step(MME_, "CreateSessionRequest", iface="S11")
            s.step((1, 3), "CreateSessionRequest", iface="S5")
            root = s.step((5, 15), "CreateSessionResponse", iface="S5", args={"cause": s5_cause})
            s.step((1, 3), "CreateSessionResponse", iface="S11", args={"cause": s5_cause})
    inner = nas.pdn_connectivity_reject(esm) if esm else None
    reject = nas.attach_reject(emm, esm=inner)
    if nas_auth and not (hss and hss[0] == "AIA"):
        reject = s.protected(reject, False)
    last = s.step(MME_, "DownlinkNASTransport", nas=reject)
    s.release(("nas", "normal-release"), delay=(100, 300))
    s.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "mme-initiated")])
    return {"hss": root, "s5": root, "mme": last}


@dataclass(frozen=True)
class Scenario:
    name: str
    doc: str
    life: Callable[[Life, tuple | None], None]
    expect: tuple | None = None        # (accepted nodes, cause object, category)
    rule: str | None = None            # the rules.toml rule it exercises today
    needs: str = ""                    # "gnb": the UE must camp on a cell with an en-gNB; "nbr": neighbours

    def truth(self, time: str | None) -> dict | None:
        if self.expect is None:
            return None
        nodes, cause, category = self.expect
        return {"failure_node": list(nodes), "cause": cause, "category": category, "time": time}


def _healthy(s, e):
    s.attach()
    busy_day(s)


def _resync(s, e):
    """The USIM's SQN is behind: #21 with AUTS, the MME resynchronises with the HSS, the attach
    completes: normal, not a fault."""
    s.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 3)])
    s.attach_request()
    first = s.vector()
    s.auth_info(first)
    s.step(MME_, "DownlinkNASTransport", nas=nas.authentication_request(first.rand, first.autn))
    auts = s.rng.randbytes(14)
    s.step(UE, "UplinkNASTransport", nas=nas.authentication_failure(21, auts=auts))
    s.authenticate(resync=first.rand + auts)
    s.security()
    s.accept()
    busy_day(s, 1)


def _hss_reject(where, code, emm):
    def life(s, e):
        steps = _reject_attach(s, emm, hss=(where, code), nas_auth=where == "ULA")
        s.fault(steps["hss"], e)
    return life


def _mme_reject(emm, **kw):
    def life(s, e):
        s.fault(_reject_attach(s, emm, **kw)["mme"], e)
    return life


def _pgw_reject(s, e):
    s.fault(_reject_attach(s, 19, esm=26, s5_cause=73)["s5"], e)


def _gateway_silent(s, e):
    """The SGW never answers Create Session: the MME retransmits (T3 3 s, N3 2) and gives up with
    Attach Reject #17 network failure."""
    s.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 3)])
    s.attach_request()
    s.authenticate()
    s.security()
    s.update_location()
    s.step(MME_, "CreateSessionRequest", iface="S11")
    for _ in range(2):
        s.step((3 * S, 3 * S), "CreateSessionRequest", iface="S11", args={"again": True})
    step = s.step((3 * S, 3 * S), "DownlinkNASTransport", nas=s.protected(nas.attach_reject(17), False))
    s.fault(step, e)
    s.release(("nas", "normal-release"), delay=(100, 300))
    s.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "mme-initiated")])


def _mme_silent(s, e):
    """The MME answers nothing: the UE retries its Attach Request at each T3410 (15 s) expiry; the
    eNB gives the RRC connection up each time."""
    esm = nas.pdn_connectivity_request(pti=1, apn=s.ue.apn)
    for i in range(3):
        s.chr((0, 0) if i == 0 else (15 * S, 15 * S), "RRC_CONN_SETUP",
              [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 3)])
        step = s.step((0, 0), "InitialUEMessage", nas=nas.attach_request(imsi=s.ue.imsi, esm=esm),
                      args={"silent": True})
        if i == 0:
            s.fault(step, e)
        s.chr((5 * S, 6 * S), "RRC_CONN_RELEASE", [spec.p_cause("release", "other")])


def _auth_mac(s, e):
    s.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 3)])
    s.attach_request()
    v = s.vector()
    s.auth_info(v)
    s.step(MME_, "DownlinkNASTransport", nas=nas.authentication_request(v.rand, v.autn))
    s.fault(s.step(UE, "UplinkNASTransport", nas=nas.authentication_failure(20)), e)
    s.step(MME_, "DownlinkNASTransport", nas=nas.authentication_reject())
    s.release(("nas", "normal-release"), delay=(100, 300))
    s.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "mme-initiated")])


def _service_reject(cause):
    def life(s, e):
        s.attach()
        s.go_idle()
        s.t += s.rng.randint(5, 30) * NS
        s.service_request(answered=False, rrc=None)
        s.fault(s.step(MME_, "DownlinkNASTransport", nas=nas.service_reject(cause)), e)
        s.release(("nas", "normal-release"), delay=(50, 150))
        s.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "mme-initiated")])
    return life


def _tau_reject(s, e):
    s.attach()
    s.go_idle()
    s.t += s.rng.randint(20, 60) * NS
    s.chr((0, 0), "RRC_CONN_SETUP", [spec.p_cause("rrc-setup-result", "success"), ("est_cause", 3)])
    req = nas.tracking_area_update_request(guti=s.guti, update_type=3)
    s.step((0, 0), "InitialUEMessage", nas=s.protected(req, True, nas.INTEGRITY), args={"s_tmsi": True})
    s.fault(s.step(MME_, "DownlinkNASTransport", nas=nas.tracking_area_update_reject(9)), e)
    s.release(("nas", "normal-release"), delay=(50, 150))
    s.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "mme-initiated")])


def _ics_failure(s, e):
    """Service Request; the eNB cannot set the bearers up and answers Initial Context Setup Failure."""
    s.attach()
    s.go_idle()
    s.t += s.rng.randint(5, 30) * NS
    s.service_request(answered=False, rrc=None)
    s.step(MME_, "InitialContextSetupRequest")
    s.fault(s.step(RADIO, "InitialContextSetupFailure", cause=("radioNetwork", "radio-resources-not-available")), e)
    s.release(("radioNetwork", "radio-resources-not-available"), delay=(5, 20))
    s.chr((1, 3), "RRC_CONN_RELEASE", [spec.p_cause("release", "other")])


def _rlf(rsrp, sinr, rlf):
    def life(s, e):
        s.attach()
        s.radio_link_failure(rsrp + s.rng.uniform(-2, 0), sinr + s.rng.uniform(-1, 0), rlf, e)
    return life


def _too_late(s, e):
    """The serving cell fades while a neighbour is strong, no handover is started in time: radio
    link failure, then the UE re-establishes on the neighbour."""
    s.attach()
    s.meas(-106, 2, neighbour=-94)
    s.meas(-111, -1, neighbour=-92)
    s.radio_link_failure(-117, -3, "t310-Expiry", e)
    s.chr((100, 300), "RRC_CONN_REESTABLISHMENT", [spec.p_cause("rrc-reestablishment", "handoverFailure")])


def _ho_prep_failure(s, e):
    s.attach()
    s.fault(s.x2_handover(*s.neighbour(), fail=e[1] and ("radioNetwork", e[1]["name"])), e)
    s.go_idle()


def _s1_ho_prep_failure(s, e):
    s.attach()
    s.fault(s.s1_handover(*s.neighbour(), fail=("radioNetwork", e[1]["name"])), e)
    s.go_idle()


def _erab_setup_failure(s, e):
    """The PGW asks for a dedicated bearer; the eNB has no radio resources for it."""
    s.attach()
    s.meas(*s.good_radio())
    s.fault(s.dedicated_bearer(fail=("radioNetwork", e[1]["name"])), e)
    s.go_idle()


def _ping_pong(s, e):
    """Handed over to a neighbour and straight back within seconds: a handover parameter problem."""
    s.attach()
    home = s.at
    s.x2_handover(*s.neighbour())
    s.t += s.rng.randint(1, 3) * NS
    s.x2_handover(*home)
    # the second handover's request is the finding (back to the cell just left)
    step = next(x for x in reversed(s.steps) if x.msg == "HandoverRequest")
    s.fault(step, e)
    s.go_idle()


def _endc(**kw):
    def life(s, e):
        s.attach()
        step = s.endc_add(**kw)
        s.fault(step, e)
        s.go_idle()
    return life


def _no_5g(s, e):
    """An EN-DC UE under a gNB's coverage hole: the B1 threshold is never met, so no SgNB is added."""
    s.attach()
    s.meas(*s.good_radio(), nr=(-123.0, -2.0))
    s.fault(s.chr((2 * S, 4 * S), "SGNB_ADDITION_RESULT", [
        spec.p_cause("sgnb-addition-result", "no-nr-measurement"), spec.p_meas("ss_rsrp", -123.0)]), e)
    s.go_idle()


def _release_required(s, e):
    s.attach()
    s.endc_add()
    peer = ("gnb", s.gnb())
    cause = ("radioNetwork", e[1]["name"])
    s.fault(s.x2((2 * S, 5 * S), "SgNBReleaseRequired",
                 lambda st, w: x2ap.sgnb_release_required(st.menb_id, st.sgnb_id, cause), peer, 1), e)
    s.x2((5, 15), "SgNBReleaseConfirm", lambda st, w: x2ap.sgnb_release_confirm(st.menb_id, st.sgnb_id), peer, 0)
    s.chr((0, 2), "SGNB_RELEASE", [spec.p_cause("sgnb-release", "sgnb-initiated")], x2=True)
    s.go_idle()


def _scg_failure(ss_rsrp, ss_sinr, kind):
    def life(s, e):
        s.attach()
        s.endc_add()
        s.meas(*s.good_radio(), nr=(ss_rsrp + 2, ss_sinr + 1))
        s.fault(s.chr((1 * S, 3 * S), "SCG_FAILURE", [
            spec.p_cause("scg-failure", kind), spec.p_meas("ss_rsrp", ss_rsrp),
            spec.p_meas("ss_sinr", ss_sinr)], x2=True), e)
        s.endc_release(("radioNetwork", "unspecified"), delay=(5, 20), record="scg-failure")
        s.go_idle()
    return life


def _outage(s, e):
    """The cell goes down with the UE connected (the batch: every UE of this scenario is on the
    outage cell at the outage time): the eNB drops all its UEs."""
    s.attach()
    s.t = max(s.t, s.world.outage_ns - 1)     # stay connected until the outage
    s.chr((0, 1), "RRC_CONN_RELEASE", [spec.p_cause("release", "cell-unavailable")])
    s.fault(s.step((1, 5), "UEContextReleaseRequest", cause=("radioNetwork", "cell-not-available")), e)
    s.step(MME_, "ReleaseAccessBearersRequest", iface="S11")
    s.step(SGW, "ReleaseAccessBearersResponse", iface="S11")
    s.step(MME_, "UEContextReleaseCommand", cause=("radioNetwork", "cell-not-available"))
    s.step((5, 15), "UEContextReleaseComplete")


def _emm(v):
    return nas.cause_object("emm", v)


def _s1(group, name):
    return s1ap.cause_object((group, name))


def _x2(group, name):
    return x2ap.cause_object((group, name))


_SUB = "subscription"
SCENARIOS: dict[str, Scenario] = {sc.name: sc for sc in [
    Scenario("healthy", "attach, active/idle cycles (Service Request, TAU), EN-DC legs, X2 handovers, "
             "detach or idle; user-inactivity releases", _healthy),
    Scenario("auth-resync", "synch failure #21 then a successful authentication (normal)", _resync),
    Scenario("hss-unknown-eps-subscription", "HSS answers ULR with 5420; MME rejects with EMM #7",
             _hss_reject("ULA", dia.DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION, 7),
             (("HSS",), diameter_cause(5420), _SUB), "hss-unknown-eps-subscription"),
    Scenario("hss-user-unknown", "HSS answers AIR with 5001; MME rejects with EMM #8",
             _hss_reject("AIA", dia.DIAMETER_ERROR_USER_UNKNOWN, 8),
             (("HSS",), diameter_cause(5001), _SUB), "hss-user-unknown"),
    Scenario("hss-roaming-not-allowed", "a roamer; HSS answers ULR with 5004; MME rejects with #11",
             _hss_reject("ULA", dia.DIAMETER_ERROR_ROAMING_NOT_ALLOWED, 11),
             (("HSS",), diameter_cause(5004), _SUB), "hss-roaming-not-allowed"),
    Scenario("attach-reject-illegal-ue", "MME rejects with EMM #3 after the authentication",
             _mme_reject(3), (("MME", "HSS"), _emm(3), _SUB), "attach-reject-identity"),
    Scenario("attach-reject-area", "subscription's zone codes miss the TA: EMM #15",
             _mme_reject(15, zones=True), (("MME", "HSS"), _emm(15), _SUB), "attach-reject-area-restriction"),
    Scenario("attach-reject-congestion", "MME congested: EMM #22", _mme_reject(22, nas_auth=False),
             (("MME",), _emm(22), "congestion"), "attach-reject-congestion"),
    Scenario("attach-reject-apn", "APN not in the subscription: Attach Reject #19 with PDN "
             "Connectivity Reject #27 inside, decided by the MME", _mme_reject(19, esm=27),
             (("MME", "HSS"), nas.cause_object("esm", 27), "configuration"), "esm-apn"),
    Scenario("pgw-reject", "PGW refuses Create Session (#73) on S5, the SGW relays it on S11; "
             "Attach Reject #19 with ESM #26", _pgw_reject, (("PGW",), gtp_cause(73), "congestion"),
             "gtp-no-resources"),
    Scenario("gateway-silent", "SGW never answers Create Session; Attach Reject #17",
             _gateway_silent, (("SGW", "transport"), _emm(17), "hardware-link"), "gtp-no-answer"),
    Scenario("mme-silent", "MME answers no Attach Request; the UE retries", _mme_silent,
             (("MME", "transport"), None, "hardware-link"), "mme-no-answer"),
    Scenario("auth-mac-failure", "USIM finds the network's MAC wrong (#20); Authentication Reject",
             _auth_mac, (("UE", "HSS"), _emm(20), _SUB), "auth-mac-failure"),
    Scenario("service-reject-context-lost", "Service Request refused #10 (MME lost the context)",
             _service_reject(10), (("MME",), _emm(10), "core-reject"), "service-reject-context-lost"),
    Scenario("service-reject-congestion", "Service Request refused #22", _service_reject(22),
             (("MME",), _emm(22), "congestion"), "service-reject-congestion"),
    Scenario("tau-reject", "periodic TAU refused #9 (UE identity cannot be derived)", _tau_reject,
             (("MME",), _emm(9), "core-reject"), "tau-reject-context-lost"),
    Scenario("ics-failure", "Initial Context Setup Failure: radio resources not available",
             _ics_failure, (("eNB",), _s1("radioNetwork", "radio-resources-not-available"), "congestion"), "ics-failure-resources"),
    Scenario("erab-setup-failure", "dedicated bearer: the eNB fails the E-RAB (radio resources not "
             "available); the MME refuses Create Bearer with #73, the SGW relays it to the PGW",
             _erab_setup_failure, (("eNB",), _s1("radioNetwork", "radio-resources-not-available"), "congestion"), "erab-failure-resources"),
    Scenario("rlf-coverage", "radio link failure at RSRP about -118 dBm", _rlf(-118, -2, "t310-Expiry"),
             (("eNB",), chr_cause("rlf", "t310-Expiry"), "coverage"), "rlf-weak-coverage"),
    Scenario("rlf-interference", "radio link failure with RSRP -88 dBm but SINR -4 dB",
             _rlf(-88, -4, "rlc-MaxNumRetx"), (("eNB",), chr_cause("rlf", "rlc-MaxNumRetx"), "interference"),
             "rlf-interference"),
    Scenario("rlf-unclear", "radio link failure with fair radio (RSRP -98, SINR 8)",
             _rlf(-98, 8, "randomAccessProblem"), (("eNB",), chr_cause("rlf", "randomAccessProblem"), "unknown"),
             "rlf"),
    Scenario("ho-too-late", "serving cell fades with a strong neighbour, no handover: RLF, "
             "re-establishment on the neighbour", _too_late,
             (("eNB",), chr_cause("rlf", "t310-Expiry"), "configuration"), "ho-too-late", "nbr"),
    Scenario("ho-prep-failure", "X2 handover refused by the target eNB",
             _ho_prep_failure, (("eNB",), _x2("radioNetwork", "no-radio-resources-available-in-target-cell"),
                                "congestion"), "ho-prep-failure-resources", "nbr"),
    Scenario("s1-ho-prep-failure", "S1 handover: the target eNB answers Handover Failure, the MME "
             "sends Handover Preparation Failure to the source", _s1_ho_prep_failure,
             (("eNB",), _s1("radioNetwork", "no-radio-resources-available-in-target-cell"), "congestion"),
             "ho-prep-failure-resources", "nbr"),
    Scenario("ho-ping-pong", "X2 handover to a neighbour and back within seconds", _ping_pong,
             (("eNB",), _x2("radioNetwork", "handover-desirable-for-radio-reasons"), "configuration"), "ho-ping-pong", "nbr"),
    Scenario("endc-reject-congestion", "SgNB Addition Request Reject: no radio resources",
             _endc(reject=("radioNetwork", "no-radio-resources-available")),
             (("gNB",), _x2("radioNetwork", "no-radio-resources-available"), "congestion"),
             "sgnb-addition-reject-congestion", "gnb"),
    Scenario("endc-reject-config", "SgNB Addition Request Reject: QCI not supported",
             _endc(reject=("radioNetwork", "not-supported-QCI-value")),
             (("gNB",), _x2("radioNetwork", "not-supported-QCI-value"), "configuration"),
             "sgnb-addition-reject", "gnb"),
    Scenario("endc-ra-failure-coverage", "SgNB added but the UE's random access on NR fails at "
             "SS-RSRP -116", _endc(chr_fail="scg-random-access-failure", nr=(-116.0, -1.0)),
             (("gNB",), chr_cause("sgnb-addition-result", "scg-random-access-failure"), "coverage"),
             "sgnb-addition-failure-weak-nr-coverage", "gnb"),
    Scenario("endc-reconfig-failure", "SgNB added but the UE fails the reconfiguration (good NR)",
             _endc(chr_fail="ue-reconfiguration-failure", nr=(-90.0, 10.0)),
             (("gNB", "UE"), chr_cause("sgnb-addition-result", "ue-reconfiguration-failure"), "unknown"),
             "sgnb-addition-failure", "gnb"),
    Scenario("no-5g-b1", "EN-DC UE never meets B1 (NR SS-RSRP -123): no 5G", _no_5g,
             (("gNB",), chr_cause("sgnb-addition-result", "no-nr-measurement"), "coverage"),
             "sgnb-addition-failure-weak-nr-coverage", "gnb"),
    Scenario("sgnb-release-required", "the en-gNB drops the NR leg (SgNB Release Required)",
             _release_required, (("gNB",), _x2("radioNetwork", "no-radio-resources-available"), "congestion"),
             "sgnb-release-required-congestion", "gnb"),
    Scenario("scg-failure-coverage", "SCG failure at SS-RSRP -121", _scg_failure(-121, -3, "t310-Expiry"),
             (("gNB",), chr_cause("scg-failure", "t310-Expiry"), "coverage"), "scg-failure-weak-nr-coverage", "gnb"),
    Scenario("scg-failure-interference", "SCG failure at SS-RSRP -92 but SS-SINR -3",
             _scg_failure(-92, -3, "rlc-MaxNumRetx"),
             (("gNB",), chr_cause("scg-failure", "rlc-MaxNumRetx"), "interference"), "scg-failure-nr-interference", "gnb"),
    Scenario("scg-failure-unclear", "SCG failure with fair NR radio", _scg_failure(-100, 6, "randomAccessProblem"),
             (("gNB",), chr_cause("scg-failure", "randomAccessProblem"), "unknown"), "scg-failure", "gnb"),
    Scenario("cell-outage", "a cell goes down and drops every connected UE at once (batch complaint)",
             _outage, (("eNB",), _s1("radioNetwork", "cell-not-available"), "hardware-link"), "release-cell-unavailable"),
]}
