"""Every rule of the shipped catalogue, each with its own story: the signalling an engineer would
see (written with tests/stories.py), and the finding the rule must give for it: which rule,
which node, which cause. A rule without a case here fails the last test."""
import pytest

from chrtool.diagnose.catalogue import rules
from chrtool.diagnose.phenomena import classify
from stories import ECI, Story, attach_start, attached, authenticated

ECI_B = (4098 << 8) | 1
LATER = 40.0                     # a message this late lets every timer of the story run out


def emm(v):
    return ("EMM", None, v)


def esm(v):
    return ("ESM", None, v)


def s1c(group, name):
    return ("S1AP", group, name)


def x2c(group, name):
    return ("X2AP", group, name)


def tick(st, t=LATER):
    """Something the eNB records much later: the inputs go on past every timer."""
    return st.chr(t, "MEAS_REPORT", meas=[("rsrp", -90), ("sinr", 10)])


# ------------------------------------------------------------------ story builders
def s6a(code, answer="ULA", group="DIAMETER_EXP", reject=7):
    st = authenticated(Story()) if answer == "ULA" else attach_start(Story())
    if answer == "ULA":
        st.dia(0.3, "Update-Location-Request").dia(0.32, "Update-Location-Answer", (group, None, code))
    else:
        st.dia(0.01, "Authentication-Information-Request")
        st.dia(0.03, "Authentication-Information-Answer", (group, None, code))
    return st.s1(0.4, "DownlinkNASTransport", nas=[("AttachReject", emm(reject))])


def s6a_silent():
    st = authenticated(Story())
    st.dia(0.3, "Update-Location-Request")
    return tick(st.s1(12.0, "DownlinkNASTransport", nas=[("AttachReject", emm(17))]))


def session_reject(cause, s5=False):
    """Create Session refused by the SGW on S11 (or by the PGW on S5, the SGW relaying it)."""
    st = authenticated(Story())
    st.dia(0.3, "Update-Location-Request").dia(0.32, "Update-Location-Answer")
    st.gtp(0.4, "CreateSessionRequest", "MME", "SGW")
    if s5:
        st.gtp(0.41, "CreateSessionRequest", "SGW", "PGW")
        st.gtp(0.42, "CreateSessionResponse", "PGW", "SGW", cause=cause)
    st.gtp(0.43, "CreateSessionResponse", "SGW", "MME", cause=cause)
    return st.s1(0.5, "DownlinkNASTransport",
                 nas=[("AttachReject", emm(19)), ("PDNConnectivityReject", esm(26))])


def session_silent():
    st = authenticated(Story())
    st.dia(0.3, "Update-Location-Request").dia(0.32, "Update-Location-Answer")
    st.gtp(0.4, "CreateSessionRequest", "MME", "SGW")
    seq = st.rows[-1]["seq"]
    st.gtp(3.4, "CreateSessionRequest", "MME", "SGW", seq=seq)       # T3 expired: sent again
    st.gtp(6.4, "CreateSessionRequest", "MME", "SGW", seq=seq)
    return st.s1(9.4, "DownlinkNASTransport", nas=[("AttachReject", emm(17))])


def bearer_refused(cause):
    """The SGW asks for a dedicated bearer; the MME refuses it."""
    st = attached(Story())
    st.gtp(5.0, "CreateBearerRequest", "SGW", "MME")
    return st.gtp(5.1, "CreateBearerResponse", "MME", "SGW", cause=cause)


def attach_reject(cause, *inner):
    st = authenticated(Story())
    st.dia(0.3, "Update-Location-Request").dia(0.32, "Update-Location-Answer")
    return st.s1(0.4, "DownlinkNASTransport", nas=[("AttachReject", emm(cause)), *inner])


def idle(st, t=10.0):
    st.s1(t, "UEContextReleaseRequest", cause=s1c("radioNetwork", "user-inactivity"))
    st.s1(t + 0.01, "UEContextReleaseCommand", cause=s1c("radioNetwork", "user-inactivity"))
    return st.s1(t + 0.02, "UEContextReleaseComplete")


def service_reject(cause):
    st = idle(attached(Story()))
    st.s1(20.0, "InitialUEMessage", nas=["ServiceRequest"], enb_id=4, mme_id=-1)
    return st.s1(20.05, "DownlinkNASTransport", nas=[("ServiceReject", emm(cause))], enb_id=4, mme_id=8)


def tau_reject(cause):
    st = idle(attached(Story()))
    st.s1(20.0, "InitialUEMessage", nas=["TrackingAreaUpdateRequest"], enb_id=4, mme_id=-1)
    return st.s1(20.05, "DownlinkNASTransport", nas=[("TrackingAreaUpdateReject", emm(cause))],
                 enb_id=4, mme_id=8)


def network_detach(cause):
    st = attached(Story())
    st.s1(5.0, "DownlinkNASTransport", nas=[("DetachRequest", emm(cause))])
    return st.s1(5.1, "UplinkNASTransport", nas=["DetachAccept"])


def emm_status(uplink, cause):
    st = attached(Story())
    return st.s1(5.0, "UplinkNASTransport" if uplink else "DownlinkNASTransport",
                 nas=[("EMMStatus", emm(cause))])


def mme_silent():
    st = Story()
    for i in range(3):
        attach_start(st, 20.0 * i)
    return tick(st, 80.0)


def reset(ids=(7,)):
    """The eNB resets the subscriber's S1 connection (MME UE S1AP ID 7); the Service Request
    that follows is refused #9: the Reset's consequence."""
    st = attached(Story()).reset(5.0, s1c("radioNetwork", "release-due-to-eutran-generated-reason"), ids)
    st.s1(8.0, "InitialUEMessage", nas=["ServiceRequest"], enb_id=4, mme_id=-1)
    return st.s1(8.05, "DownlinkNASTransport", nas=[("ServiceReject", emm(9))], enb_id=4, mme_id=8)


def not_completed():
    """Attach Accept sent; the UE's Attach Complete never comes."""
    st = authenticated(Story())
    st.dia(0.3, "Update-Location-Request").dia(0.32, "Update-Location-Answer")
    st.gtp(0.4, "CreateSessionRequest", "MME", "SGW").gtp(0.43, "CreateSessionResponse", "SGW", "MME")
    st.s1(0.5, "InitialContextSetupRequest", nas=["AttachAccept", "ActivateDefaultEPSBearerContextRequest"])
    st.s1(0.55, "InitialContextSetupResponse")
    return tick(st)


def ue_silent():
    st = attach_start(Story())
    st.dia(0.01, "Authentication-Information-Request").dia(0.03, "Authentication-Information-Answer")
    st.s1(0.05, "DownlinkNASTransport", nas=["AuthenticationRequest"])
    return tick(st)


def authentication(cause, then_reject=True):
    st = attach_start(Story())
    st.dia(0.01, "Authentication-Information-Request").dia(0.03, "Authentication-Information-Answer")
    st.s1(0.05, "DownlinkNASTransport", nas=["AuthenticationRequest"])
    if cause is None:
        st.s1(0.1, "UplinkNASTransport", nas=["AuthenticationResponse"])
    else:
        st.s1(0.1, "UplinkNASTransport", nas=[("AuthenticationFailure", emm(cause))])
    return st.s1(0.15, "DownlinkNASTransport", nas=["AuthenticationReject"])


def security_reject(cause):
    st = attach_start(Story())
    st.dia(0.01, "Authentication-Information-Request").dia(0.03, "Authentication-Information-Answer")
    st.s1(0.05, "DownlinkNASTransport", nas=["AuthenticationRequest"])
    st.s1(0.1, "UplinkNASTransport", nas=["AuthenticationResponse"])
    st.s1(0.15, "DownlinkNASTransport", nas=["SecurityModeCommand"])
    st.s1(0.2, "UplinkNASTransport", nas=[("SecurityModeReject", emm(cause))])
    return st.s1(0.25, "DownlinkNASTransport", nas=[("AttachReject", emm(24))])


def esm_reject(cause):
    return attach_reject(19, ("PDNConnectivityReject", esm(cause)))


def dedicated_rejected_by_ue(cause):
    st = attached(Story())
    st.gtp(5.0, "CreateBearerRequest", "SGW", "MME")
    st.s1(5.05, "E-RABSetupRequest", nas=["ActivateDedicatedEPSBearerContextRequest"])
    st.s1(5.1, "E-RABSetupResponse")
    st.s1(5.2, "UplinkNASTransport", nas=[("ActivateDedicatedEPSBearerContextReject", esm(cause))])
    return st.gtp(5.3, "CreateBearerResponse", "MME", "SGW", cause=88)


def ics_failure(name, group="radioNetwork"):
    st = idle(attached(Story()))
    st.s1(20.0, "InitialUEMessage", nas=["ServiceRequest"], enb_id=4, mme_id=-1)
    st.s1(20.05, "InitialContextSetupRequest", enb_id=4, mme_id=8)
    st.s1(20.1, "InitialContextSetupFailure", cause=s1c(group, name), enb_id=4, mme_id=8)
    st.s1(20.15, "UEContextReleaseCommand", cause=s1c(group, name), enb_id=4, mme_id=8)
    return st.s1(20.2, "UEContextReleaseComplete", enb_id=4, mme_id=8)


def erab_failure(name):
    st = attached(Story())
    st.gtp(5.0, "CreateBearerRequest", "SGW", "MME")
    st.s1(5.05, "E-RABSetupRequest", nas=["ActivateDedicatedEPSBearerContextRequest"])
    st.s1(5.1, "E-RABSetupResponse", items=[s1c("radioNetwork", name)])
    return st.gtp(5.2, "CreateBearerResponse", "MME", "SGW", cause=73)


def released(cause, meas=()):
    st = attached(Story())
    if meas:
        st.chr(4.5, "MEAS_REPORT", meas=meas)
    st.s1(5.0, "UEContextReleaseRequest", cause=cause)
    st.s1(5.01, "UEContextReleaseCommand", cause=cause)
    return st.s1(5.02, "UEContextReleaseComplete")


def unrequested_release():
    return attached(Story()).s1(5.0, "UEContextReleaseComplete")


def error_indication():
    return attached(Story()).s1(5.0, "ErrorIndication", cause=s1c("radioNetwork", "unknown-enb-ue-s1ap-id"),
                                enb_id=3)


def rrc_refused(name):
    return Story().chr(1.0, "RRC_CONN_SETUP", cause=("rrc-setup-result", name))


def s1_unanswered():
    st = attached(Story())
    st.gtp(5.0, "CreateBearerRequest", "SGW", "MME")
    st.s1(5.05, "E-RABSetupRequest", nas=["ActivateDedicatedEPSBearerContextRequest"])
    return tick(st)


def x2_ho_failure(cause, cancel=False):
    st = attached(Story())
    st.x2(5.0, "HandoverRequest", "eNB", "eNB2", cause=x2c("radioNetwork", "handover-desirable-for-radio-reasons"),
          old_enb_ue_x2ap_id=5)
    if cancel:
        return st.x2(5.05, "HandoverCancel", "eNB", "eNB2", cause=cause, old_enb_ue_x2ap_id=5)
    return st.x2(5.05, "HandoverPreparationFailure", "eNB2", "eNB", cause=cause, old_enb_ue_x2ap_id=5)


def x2_ho_unanswered():
    st = attached(Story())
    st.x2(5.0, "HandoverRequest", "eNB", "eNB2", old_enb_ue_x2ap_id=5)
    return tick(st)


def s1_ho_failure(name):
    st = attached(Story())
    st.s1(5.0, "HandoverRequired", cause=s1c("radioNetwork", "handover-desirable-for-radio-reason"))
    return st.s1(5.5, "HandoverPreparationFailure", cause=s1c("radioNetwork", name))


def x2_handover(st, t, src_eci, dst_eci, enb_id):
    st.chr(t - 0.3, "MEAS_REPORT", meas=[("rsrp", -100), ("rsrp_neighbour", -92)], eci=src_eci)
    st.x2(t, "HandoverRequest", "eNB", "eNB2", cause=x2c("radioNetwork", "handover-desirable-for-radio-reasons"),
          old_enb_ue_x2ap_id=enb_id)
    st.x2(t + 0.01, "HandoverRequestAcknowledge", "eNB2", "eNB", old_enb_ue_x2ap_id=enb_id,
          new_enb_ue_x2ap_id=enb_id + 1)
    st.s1(t + 0.05, "PathSwitchRequest", eci=dst_eci, enb_id=enb_id + 1)
    st.s1(t + 0.06, "PathSwitchRequestAcknowledge", eci=-1, enb_id=enb_id + 1)
    return st.x2(t + 0.08, "UEContextRelease", "eNB2", "eNB", old_enb_ue_x2ap_id=enb_id,
                 new_enb_ue_x2ap_id=enb_id + 1)


def ping_pong():
    st = attached(Story())
    x2_handover(st, 5.0, ECI, ECI_B, 10)
    return x2_handover(st, 8.0, ECI_B, ECI, 20)


def rlf(meas, cause="t310-Expiry", before=()):
    st = attached(Story())
    for t, m in before:
        st.chr(t, "MEAS_REPORT", meas=m)
    st.chr(9.0, "RADIO_LINK_FAILURE", cause=("rlf", cause), meas=meas)
    st.s1(9.2, "UEContextReleaseRequest", cause=s1c("radioNetwork", "radio-connection-with-ue-lost"))
    return st


def too_early():
    st = attached(Story())
    x2_handover(st, 5.0, ECI, ECI_B, 10)
    return st.chr(7.0, "RADIO_LINK_FAILURE", cause=("rlf", "t310-Expiry"), eci=ECI_B,
                  meas=[("rsrp", -101), ("sinr", 3)])


def sgnb_reject(name):
    st = attached(Story())
    st.x2(5.0, "SgNBAdditionRequest")
    return st.x2(5.05, "SgNBAdditionRequestReject", "gNB", "eNB", cause=x2c("radioNetwork", name))


def sgnb_unanswered():
    return tick(attached(Story()).x2(5.0, "SgNBAdditionRequest"))


def chr_sgnb_result(name, meas=()):
    st = attached(Story())
    st.chr(5.0, "SGNB_ADDITION_ATTEMPT", meas=meas)
    return st.chr(5.1, "SGNB_ADDITION_RESULT", cause=("sgnb-addition-result", name), meas=meas)


def release_required(name, meas=()):
    st = attached(Story())
    st.x2(5.0, "SgNBAdditionRequest").x2(5.05, "SgNBAdditionRequestAcknowledge", "gNB", "eNB")
    if meas:
        st.chr(7.8, "MEAS_REPORT", meas=meas)
    st.x2(8.0, "SgNBReleaseRequired", "gNB", "eNB", cause=x2c("radioNetwork", name))
    return st.x2(8.05, "SgNBReleaseConfirm")


def scg_failure(meas):
    st = attached(Story())
    return st.chr(6.0, "SCG_FAILURE", cause=("scg-failure", "t310-Expiry"), meas=meas)


def lte_only(nr=None):
    """Attached and served on LTE; the UE reports an NR cell at `nr` dBm, or none."""
    st = attached(Story())
    st.chr(5.0, "MEAS_REPORT", meas=[("rsrp", -90), ("sinr", 12)] + ([("ss_rsrp", nr)] if nr else []))
    return st


NO_5G = {"phenomenon": classify("手机不显示5G图标")}
WEAK = [("rsrp", -118), ("sinr", -2)]
NOISY = [("rsrp", -88), ("sinr", -4)]
FAIR = [("rsrp", -98), ("sinr", 8)]

# rule id -> (story, failure node, (cause proto, cause value or name))
CASES = {
    "hss-user-unknown": (lambda: s6a(5001, "AIA", reject=8), "HSS", ("Diameter", 5001)),
    "hss-unknown-eps-subscription": (lambda: s6a(5420), "HSS", ("Diameter", 5420)),
    "hss-roaming-not-allowed": (lambda: s6a(5004, reject=11), "HSS", ("Diameter", 5004)),
    "hss-rat-not-allowed": (lambda: s6a(5421, reject=15), "HSS", ("Diameter", 5421)),
    "hss-authentication-data-unavailable": (lambda: s6a(4181, "AIA", reject=17), "HSS", ("Diameter", 4181)),
    "hss-unable-to-comply": (lambda: s6a(5012, group="DIAMETER", reject=17), "HSS", ("Diameter", 5012)),
    "diameter-unable-to-deliver": (lambda: s6a(3002, group="DIAMETER", reject=17), "transport", ("Diameter", 3002)),
    "hss-reject": (lambda: s6a(5003, group="DIAMETER", reject=17), "HSS", ("Diameter", 5003)),
    "hss-no-answer": (s6a_silent, "HSS", ("NAS-EPS", 17)),
    "gtp-context-not-found": (lambda: bearer_refused(64), "MME", ("GTPv2", 64)),
    "gtp-apn": (lambda: session_reject(78, s5=True), "PGW", ("GTPv2", 78)),
    "gtp-no-resources": (lambda: session_reject(73, s5=True), "PGW", ("GTPv2", 73)),
    "gtp-system-failure": (lambda: session_reject(72), "SGW", ("GTPv2", 72)),
    "gtp-remote-peer-not-responding": (lambda: session_reject(100), "PGW", ("GTPv2", 100)),
    "gtp-service-denied": (lambda: session_reject(89, s5=True), "PGW", ("GTPv2", 89)),
    "gtp-ue-unreachable": (lambda: bearer_refused(88), "UE", ("GTPv2", 88)),
    "gtp-collision": (lambda: bearer_refused(110), "MME", ("GTPv2", 110)),
    "gtp-protocol-error": (lambda: session_reject(69), "SGW", ("GTPv2", 69)),
    "gtp-reject": (lambda: session_reject(80), "SGW", ("GTPv2", 80)),
    "gtp-no-answer": (session_silent, "SGW", ("NAS-EPS", 17)),
    "attach-reject-eps-not-allowed": (lambda: attach_reject(8), "MME", ("NAS-EPS", 8)),
    "attach-reject-identity": (lambda: attach_reject(3), "MME", ("NAS-EPS", 3)),
    "attach-reject-area-restriction": (lambda: attach_reject(12), "MME", ("NAS-EPS", 12)),
    "attach-reject-congestion": (lambda: attach_reject(22), "MME", ("NAS-EPS", 22)),
    "attach-reject-esm": (lambda: attach_reject(19), "MME", ("NAS-EPS", 19)),
    "attach-reject-network-failure": (lambda: attach_reject(17), "MME", ("NAS-EPS", 17)),
    "attach-reject-protocol": (lambda: attach_reject(96), "UE", ("NAS-EPS", 96)),
    "attach-reject": (lambda: attach_reject(16), "MME", ("NAS-EPS", 16)),
    "service-reject-context-lost": (lambda: service_reject(10), "MME", ("NAS-EPS", 10)),
    "service-reject-congestion": (lambda: service_reject(22), "MME", ("NAS-EPS", 22)),
    "service-reject": (lambda: service_reject(18), "MME", ("NAS-EPS", 18)),
    "tau-reject-context-lost": (lambda: tau_reject(9), "MME", ("NAS-EPS", 9)),
    "tau-reject-area-restriction": (lambda: tau_reject(12), "MME", ("NAS-EPS", 12)),
    "tau-reject": (lambda: tau_reject(16), "MME", ("NAS-EPS", 16)),
    "network-detach": (lambda: network_detach(8), "MME", ("NAS-EPS", 8)),
    "emm-status-from-ue": (lambda: emm_status(True, 101), "UE", ("NAS-EPS", 101)),
    "emm-status-from-network": (lambda: emm_status(False, 96), "MME", ("NAS-EPS", 96)),
    "mme-no-answer": (mme_silent, "MME", None),
    "ue-no-answer": (ue_silent, "UE", None),
    "attach-not-completed": (not_completed, "UE", None),
    "s1-reset": (reset, "eNB", ("S1AP", "release-due-to-eutran-generated-reason")),
    "auth-mac-failure": (lambda: authentication(20), "UE", ("NAS-EPS", 20)),
    "auth-synch-failure": (lambda: authentication(21), "HSS", ("NAS-EPS", 21)),
    "auth-non-eps-unacceptable": (lambda: authentication(26), "UE", ("NAS-EPS", 26)),
    "authentication-reject": (lambda: authentication(None), "MME", None),
    "security-mode-reject": (lambda: security_reject(23), "UE", ("NAS-EPS", 23)),
    "esm-apn": (lambda: esm_reject(27), "MME", ("NAS-EPS", 27)),
    "esm-insufficient-resources": (lambda: esm_reject(26), "MME", ("NAS-EPS", 26)),
    "esm-authentication": (lambda: esm_reject(29), "MME", ("NAS-EPS", 29)),
    "esm-gateway-reject": (lambda: esm_reject(30), "MME", ("NAS-EPS", 30)),
    "esm-pdn-type": (lambda: esm_reject(50), "MME", ("NAS-EPS", 50)),
    "esm-qos": (lambda: esm_reject(32), "MME", ("NAS-EPS", 32)),
    "esm-protocol": (lambda: esm_reject(53), "MME", ("NAS-EPS", 53)),
    "esm-reject": (lambda: esm_reject(49), "MME", ("NAS-EPS", 49)),
    "ue-rejects-bearer": (lambda: dedicated_rejected_by_ue(31), "UE", ("NAS-EPS", 31)),
    "ics-failure-resources": (lambda: ics_failure("radio-resources-not-available"), "eNB",
                              ("S1AP", "radio-resources-not-available")),
    "ics-failure-security": (lambda: ics_failure("encryption-and-or-integrity-protection-algorithms-not-supported"),
                             "eNB", ("S1AP", "encryption-and-or-integrity-protection-algorithms-not-supported")),
    "ics-failure": (lambda: ics_failure("radio-connection-with-ue-lost"), "eNB",
                    ("S1AP", "radio-connection-with-ue-lost")),
    "erab-failure-resources": (lambda: erab_failure("radio-resources-not-available"), "eNB",
                               ("S1AP", "radio-resources-not-available")),
    "erab-failure-qos": (lambda: erab_failure("not-supported-QCI-value"), "eNB", ("S1AP", "not-supported-QCI-value")),
    "erab-failure": (lambda: erab_failure("failure-in-radio-interface-procedure"), "eNB",
                     ("S1AP", "failure-in-radio-interface-procedure")),
    "release-weak-coverage": (lambda: released(s1c("radioNetwork", "radio-connection-with-ue-lost"), WEAK),
                              "eNB", ("S1AP", "radio-connection-with-ue-lost")),
    "release-interference": (lambda: released(s1c("radioNetwork", "radio-connection-with-ue-lost"), NOISY),
                             "eNB", ("S1AP", "radio-connection-with-ue-lost")),
    "release-radio-lost": (lambda: released(s1c("radioNetwork", "failure-in-radio-interface-procedure"), FAIR),
                           "eNB", ("S1AP", "failure-in-radio-interface-procedure")),
    "release-cell-unavailable": (lambda: released(s1c("radioNetwork", "cell-not-available")), "eNB",
                                 ("S1AP", "cell-not-available")),
    "release-congestion": (lambda: released(s1c("radioNetwork", "reduce-load-in-serving-cell")), "eNB",
                           ("S1AP", "reduce-load-in-serving-cell")),
    "release-transport": (lambda: released(s1c("transport", "transport-resource-unavailable")), "transport",
                          ("S1AP", "transport-resource-unavailable")),
    "release-enb-fault": (lambda: released(s1c("misc", "hardware-failure")), "eNB", ("S1AP", "hardware-failure")),
    "release-unrequested": (unrequested_release, "eNB", None),
    "error-indication": (error_indication, "eNB", ("S1AP", "unknown-enb-ue-s1ap-id")),
    "rrc-setup-congestion": (lambda: rrc_refused("reject-congestion"), "eNB", ("CHR", "reject-congestion")),
    "s1ap-no-answer": (s1_unanswered, "eNB", None),
    "ho-prep-failure-resources": (lambda: x2_ho_failure(x2c("radioNetwork", "no-radio-resources-available-in-target-cell")),
                                  "eNB", ("X2AP", "no-radio-resources-available-in-target-cell")),
    "ho-prep-failure-target": (lambda: x2_ho_failure(x2c("radioNetwork", "ho-target-not-allowed")), "eNB",
                               ("X2AP", "ho-target-not-allowed")),
    "ho-prep-timeout": (lambda: s1_ho_failure("tS1relocprep-expiry"), "eNB", ("S1AP", "tS1relocprep-expiry")),
    "ho-prep-failure": (lambda: x2_ho_failure(x2c("misc", "unspecified")), "eNB", ("X2AP", "unspecified")),
    "ho-cancel": (lambda: x2_ho_failure(x2c("radioNetwork", "unspecified"), cancel=True), "eNB",
                  ("X2AP", "unspecified")),
    "ho-no-answer": (x2_ho_unanswered, "eNB", None),
    "ho-ping-pong": (ping_pong, "eNB", ("X2AP", "handover-desirable-for-radio-reasons")),
    "ho-too-late": (lambda: rlf([("rsrp", -117), ("sinr", -3)],
                                before=[(8.0, [("rsrp", -111), ("sinr", -1), ("rsrp_neighbour", -92)])]),
                    "eNB", ("CHR", "t310-Expiry")),
    "ho-too-early": (too_early, "eNB", ("CHR", "t310-Expiry")),
    "rlf-weak-coverage": (lambda: rlf(WEAK), "eNB", ("CHR", "t310-Expiry")),
    "rlf-interference": (lambda: rlf(NOISY, "rlc-MaxNumRetx"), "eNB", ("CHR", "rlc-MaxNumRetx")),
    "rlf": (lambda: rlf(FAIR, "randomAccessProblem"), "eNB", ("CHR", "randomAccessProblem")),
    "sgnb-addition-reject-congestion": (lambda: sgnb_reject("no-radio-resources-available"), "gNB",
                                        ("X2AP", "no-radio-resources-available")),
    "sgnb-addition-reject": (lambda: sgnb_reject("not-supported-QCI-value"), "gNB", ("X2AP", "not-supported-QCI-value")),
    "sgnb-addition-no-answer": (sgnb_unanswered, "gNB", None),
    "sgnb-addition-failure-weak-nr-coverage": (lambda: chr_sgnb_result("scg-random-access-failure", [("ss_rsrp", -117)]),
                                               "gNB", ("CHR", "scg-random-access-failure")),
    "sgnb-addition-failure": (lambda: chr_sgnb_result("ue-reconfiguration-failure", [("ss_rsrp", -90)]), "gNB",
                              ("CHR", "ue-reconfiguration-failure")),
    "sgnb-release-required-congestion": (lambda: release_required("no-radio-resources-available"), "gNB",
                                         ("X2AP", "no-radio-resources-available")),
    "sgnb-release-required-weak-nr": (lambda: release_required("radio-connection-with-UE-lost", [("ss_rsrp", -119)]),
                                      "gNB", ("X2AP", "radio-connection-with-UE-lost")),
    "sgnb-release-required": (lambda: release_required("unspecified"), "gNB", ("X2AP", "unspecified")),
    "scg-failure-weak-nr-coverage": (lambda: scg_failure([("ss_rsrp", -121), ("ss_sinr", -3)]), "gNB",
                                     ("CHR", "t310-Expiry")),
    "scg-failure-nr-interference": (lambda: scg_failure([("ss_rsrp", -92), ("ss_sinr", -3)]), "gNB",
                                    ("CHR", "t310-Expiry")),
    "scg-failure": (lambda: scg_failure([("ss_rsrp", -100), ("ss_sinr", 6)]), "gNB", ("CHR", "t310-Expiry")),
    "no-5g-weak-nr": (lambda: lte_only(-116), "gNB", None, NO_5G),
    "no-5g-no-addition": (lambda: lte_only(-95), "eNB", None, NO_5G),
    "no-5g-no-nr-report": (lambda: lte_only(), "UE", None, NO_5G),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_the_rule_explains_its_story(rule_id):
    story, node, cause, *kw = CASES[rule_id]
    findings = story().findings(**(kw[0] if kw else {}))
    assert findings, "no finding"
    f = findings[0]
    assert (f["rule"], f["failure_node"]) == (rule_id, node), [(x["rule"], x["failure_node"]) for x in findings]
    if cause is None:
        assert f["cause"] is None or f["cause"]["proto"] == "NAS-EPS"
    else:
        assert f["cause"]["proto"] == cause[0]
        assert cause[1] in (f["cause"]["value"], f["cause"]["name"])
    assert f["evidence"] and 0 < f["confidence"] <= 1 and f["count"] >= 1
    assert len(findings) == 1, [(x["rule"], x["time"]) for x in findings]    # the rest is evidence


def test_every_rule_has_its_story():
    assert {r.id for r in rules()} == set(CASES)


def test_a_healthy_attach_and_its_release_give_nothing():
    assert idle(attached(Story())).findings() == []


def test_no_5g_is_explained_only_when_the_ticket_asks():
    assert lte_only(-95).findings() == []                 # no ticket about 5G: nothing to say
    assert lte_only(-95).findings(phenomenon=classify("dropped call")) == []
    [f] = lte_only(-95).findings(phenomenon=classify("drops to 4G all the time"))
    assert f["rule"] == "no-5g-no-addition" and f["procedure_id"] is None


def test_the_phenomenon_puts_its_findings_first():
    st = attached(Story())
    st.s1(3.0, "UEContextReleaseRequest", cause=("S1AP", "radioNetwork", "cell-not-available"))
    st.s1(3.01, "UEContextReleaseCommand", cause=("S1AP", "radioNetwork", "cell-not-available"))
    st.s1(3.02, "UEContextReleaseComplete")
    st.x2(20.0, "SgNBAdditionRequest").x2(20.05, "SgNBAdditionRequestReject", "gNB", "eNB",
                                          cause=("X2AP", "radioNetwork", "no-radio-resources-available"))
    plain = [f["rule"] for f in st.findings()]
    assert plain == ["release-cell-unavailable", "sgnb-addition-reject-congestion"]   # by time
    no5g = [f["rule"] for f in st.findings(phenomenon=classify("no 5G icon"))]
    assert no5g == ["sgnb-addition-reject-congestion", "release-cell-unavailable"]


def test_a_reset_of_another_connection_is_not_the_subscribers():
    findings = reset(ids=(99,)).findings()              # lists someone else's connection
    assert [f["rule"] for f in findings] == ["service-reject-context-lost"]
    [f] = reset(ids=()).findings()                      # the whole interface: ours too
    assert f["rule"] == "s1-reset" and f["consequences"][0]["cause"]["value"] == 9
