# cython: language_level=3
"""S1AP (TS 36.413) decoder: an ALIGNED PER walker over S1AP-PDU, no ASN.1 runtime.

For every row with proto S1AP it fills (see s1ap.pyi for the full contract):
  msg = pdu_type << 8 | procedure code, procedure_code, flags (F_MALFORMED, F_UNKNOWN_MSG);
  one I_IE item per IE (a=IE id, b=offset of the value in data, c=length, d=criticality) and one
  for the message value itself (a=-1, d=the message's criticality);
  the UE IDs, cause, ECGI/TAI, NR-CGI, S-TMSI columns; I_S1AP_IDS, I_CAUSE, I_ERAB, I_CELL,
  I_NODE, I_STR, I_FTEID and I_ENUM items for the values a message holds more than once;
  one NAS-EPS child row per NAS-PDU carried (top level or inside an E-RAB item).
Bad bytes never raise: the row keeps what was decoded before the damage and gets F_MALFORMED.
"""
from libc.stdint cimport int16_t, int64_t, uint8_t, uint64_t
from libc.string cimport memcpy
from chrtool._fast.events cimport (EventTable, P_S1AP, P_NAS_EPS, F_UNKNOWN_MSG, malformed,
                                   C_S1AP, K_TAI, K_TARGET_ECGI, N_MME, S_NODE_NAME, inherit,
                                   put_cause, put_cell, put_enum, put_erab, put_fteid, put_node,
                                   put_s1ap_ids, put_str, append_row)
from chrtool._fast.aper cimport (Bits, bits_init, get_bits, align, byte_pos, skip_bytes,
                                 get_length, get_constrained_int, get_enum, get_choice,
                                 skip_open, get_count, get_plmn, get_cgi, get_global_enb_id,
                                 get_cause, get_erab_id, seq_end,
                                 get_open, get_qci, get_tnl)
from chrtool._fast.ap_common cimport Ctx, set_cause, get_field, walk_ies, pdu_begin
from chrtool._fast.s1ap_ids cimport *

from chrtool.decoders import s1ap_tables as _tables

cdef int[5] CAUSE_ROOT = [S1AP_CAUSE_ROOT_radioNetwork, S1AP_CAUSE_ROOT_transport,
                          S1AP_CAUSE_ROOT_nas, S1AP_CAUSE_ROOT_protocol, S1AP_CAUSE_ROOT_misc]

# (pdu_type, procedure code) pairs the generated tables name
cdef uint8_t KNOWN[3][256]
for (_t, _c) in _tables.MESSAGES:
    if 0 <= _t < 3 and 0 <= _c < 256:
        KNOWN[_t][_c] = 1

# Layouts of the E-RAB items (ProtocolIE-SingleContainer values in the E-RAB lists), keyed by the
# item's IE id. tests/_fast/test_s1ap.py checks this table against the ASN.1 (pycrate).
cdef enum Layout:
    L_NONE = 0
    L_PLAIN = 1          # e-RAB-ID first, nothing else read
    L_CAUSE = 2          # e-RAB-ID, cause
    L_TNL_ENB = 3        # e-RAB-ID, transportLayerAddress, GTP-TEID (eNB side, S1-U DL)
    L_TNL_SGW = 4        # e-RAB-ID, transportLayerAddress, GTP-TEID (SGW side, S1-U UL)
    L_TNL_SGW_QOS = 5    # e-RAB-ID, transportLayerAddress, GTP-TEID (SGW), E-RABLevelQoSParameters
    L_QOS_TNL_NAS = 6    # e-RAB-ID, QoS, transportLayerAddress, GTP-TEID (SGW), nAS-PDU
    L_QOS_NAS = 7        # e-RAB-ID, QoS, nAS-PDU

DEF MAX_IE = 512
cdef uint8_t ITEM_LAYOUT[MAX_IE]
cdef uint8_t ITEM_PRE[MAX_IE]        # ext bit + OPTIONAL bitmap of the item SEQUENCE
cdef uint8_t ITEM_NAS_OPT[MAX_IE]    # 1-based position of nAS-PDU's presence bit in the preamble
cdef uint8_t ERAB_LIST[MAX_IE]       # list IEs: SEQUENCE (SIZE(1..256)) OF SingleContainer

ERAB_ITEMS = {
    # item IE id: (layout, preamble bits, position of the nAS-PDU presence bit or 0)
    S1AP_IE_E_RABDataForwardingItem: (L_PLAIN, 6, 0),
    S1AP_IE_E_RABToBeSetupItemBearerSUReq: (L_QOS_TNL_NAS, 2, 0),
    S1AP_IE_E_RABAdmittedItem: (L_TNL_ENB, 6, 0),
    S1AP_IE_E_RABFailedtoSetupItemHOReqAck: (L_CAUSE, 2, 0),
    S1AP_IE_E_RABToBeSwitchedDLItem: (L_TNL_ENB, 2, 0),
    S1AP_IE_E_RABToBeSetupItemCtxtSUReq: (L_QOS_TNL_NAS, 3, 2),
    S1AP_IE_E_RABSetupItemBearerSURes: (L_TNL_ENB, 2, 0),
    S1AP_IE_E_RABItem: (L_CAUSE, 2, 0),
    S1AP_IE_E_RABToBeModifiedItemBearerModReq: (L_QOS_NAS, 2, 0),
    S1AP_IE_E_RABModifyItemBearerModRes: (L_PLAIN, 2, 0),
    S1AP_IE_E_RABSetupItemCtxtSURes: (L_TNL_ENB, 2, 0),
    S1AP_IE_E_RABToBeSetupItemHOReq: (L_TNL_SGW_QOS, 2, 0),
    S1AP_IE_E_RABReleaseItemBearerRelComp: (L_PLAIN, 2, 0),
    S1AP_IE_E_RABToBeSwitchedULItem: (L_TNL_SGW, 2, 0),
    S1AP_IE_E_RABToBeModifiedItemBearerModInd: (L_TNL_ENB, 2, 0),
    S1AP_IE_E_RABNotToBeModifiedItemBearerModInd: (L_TNL_ENB, 2, 0),
    S1AP_IE_E_RABModifyItemBearerModConf: (L_PLAIN, 2, 0),
    S1AP_IE_E_RABFailedToResumeItemResumeReq: (L_CAUSE, 2, 0),
    S1AP_IE_E_RABFailedToResumeItemResumeRes: (L_CAUSE, 2, 0),
    S1AP_IE_SecondaryRATDataUsageReportItem: (L_PLAIN, 2, 0),
    S1AP_IE_E_RABToBeUpdatedItem: (L_PLAIN, 3, 0),
    S1AP_IE_E_RABInformationListItem: (L_PLAIN, 3, 0),
    S1AP_IE_E_RABReleaseItemHOCmd: (L_PLAIN, 2, 0),
    S1AP_IE_Bearers_SubjectToStatusTransfer_Item: (L_PLAIN, 3, 0),
    S1AP_IE_Bearers_SubjectToEarlyStatusTransfer_Item: (L_PLAIN, 2, 0),
}
ERAB_LISTS = (
    S1AP_IE_E_RABSubjecttoDataForwardingList, S1AP_IE_E_RABtoReleaseListHOCmd,
    S1AP_IE_E_RABToBeSetupListBearerSUReq, S1AP_IE_E_RABAdmittedList,
    S1AP_IE_E_RABFailedToSetupListHOReqAck, S1AP_IE_E_RABToBeSwitchedDLList,
    S1AP_IE_E_RABToBeSetupListCtxtSUReq, S1AP_IE_E_RABSetupListBearerSURes,
    S1AP_IE_E_RABFailedToSetupListBearerSURes, S1AP_IE_E_RABToBeModifiedListBearerModReq,
    S1AP_IE_E_RABModifyListBearerModRes, S1AP_IE_E_RABFailedToModifyList,
    S1AP_IE_E_RABToBeReleasedList, S1AP_IE_E_RABFailedToReleaseList,
    S1AP_IE_E_RABFailedToSetupListCtxtSURes, S1AP_IE_E_RABSetupListCtxtSURes,
    S1AP_IE_E_RABToBeSetupListHOReq, S1AP_IE_E_RABReleaseListBearerRelComp,
    S1AP_IE_E_RABToBeSwitchedULList, S1AP_IE_E_RABFailedToBeReleasedList,
    S1AP_IE_E_RABReleasedList, S1AP_IE_E_RABToBeModifiedListBearerModInd,
    S1AP_IE_E_RABNotToBeModifiedListBearerModInd, S1AP_IE_E_RABModifyListBearerModConf,
    S1AP_IE_E_RABFailedToModifyListBearerModConf, S1AP_IE_E_RABToBeReleasedListBearerModConf,
    S1AP_IE_E_RABFailedToResumeListResumeReq, S1AP_IE_E_RABFailedToResumeListResumeRes,
    S1AP_IE_SecondaryRATDataUsageReportList, S1AP_IE_E_RABToBeUpdatedList,
)
for _k, (_l, _p, _n) in ERAB_ITEMS.items():
    ITEM_LAYOUT[_k] = _l
    ITEM_PRE[_k] = _p
    ITEM_NAS_OPT[_k] = _n
for _k in ERAB_LISTS:
    ERAB_LIST[_k] = 1

# Enumerated IEs reported as I_ENUM items: IE id -> (root count, extensible)
cdef int16_t ENUM_ROOT[MAX_IE]
ENUM_IES = {
    S1AP_IE_HandoverType: (5, True),
    S1AP_IE_RRC_Establishment_Cause: (5, True),
    S1AP_IE_CSFallbackIndicator: (2, True),
    S1AP_IE_CNDomain: (2, False),
    S1AP_IE_RAT_Type: (1, True),
    S1AP_IE_RRC_Resume_Cause: (5, True),
    S1AP_IE_GUMMEIType: (2, True),
}
for _k, (_r, _e) in ENUM_IES.items():
    ENUM_ROOT[_k] = _r if _e else -_r


cdef int nas_child(EventTable t, Ctx* c, Bits* b) except -1:
    """An unconstrained OCTET STRING holding a NAS-PDU at b's position: add a NAS-EPS child row
    (a fragmented NAS-PDU is reassembled in t.data and the child row points there)."""
    cdef Py_ssize_t child
    cdef Bits v
    if get_open(t, b, &v, &c.budget, False) != 0:
        return 0
    child = append_row(t)
    t.proto[child] = P_NAS_EPS
    t.parent[child] = c.row
    t.payload_off[child] = v.p - c.d0
    t.payload_len[child] = <int>(v.nbits >> 3)
    return 0


cdef int erab_list(EventTable t, Ctx* c, Bits* b, int list_id) except -1:
    """E-RAB list: SEQUENCE (SIZE(1..256)) OF ProtocolIE-SingleContainer {E-RAB item}."""
    cdef Py_ssize_t n = get_count(b, 1, 256, False), i, ilen
    cdef int item_id, layout, pre, crit
    cdef uint64_t bitmap
    cdef int64_t erab, qci, group, value, ipv4, teid
    cdef Bits v
    for i in range(n):
        item_id = get_field(t, c, b, &crit, &v)
        if item_id < 0:
            return 0
        layout = ITEM_LAYOUT[item_id] if item_id < MAX_IE else L_NONE
        if layout == L_NONE:
            continue
        pre = ITEM_PRE[item_id]
        bitmap = get_bits(&v, pre)
        erab = get_erab_id(&v)
        if v.err:
            malformed(t, c.row)
            continue
        qci = -1
        if layout == L_CAUSE:
            put_erab(t, c.row, erab, list_id, -1, -1)
            if get_cause(&v, CAUSE_ROOT, 5, &group, &value) == 0:
                set_cause(t, c, group, value, erab, False)
        elif layout == L_TNL_ENB or layout == L_TNL_SGW or layout == L_TNL_SGW_QOS:
            if get_tnl(&v, &ipv4, &teid) == 0:
                put_fteid(t, c.row, 0 if layout == L_TNL_ENB else 1, 0, teid, ipv4, erab)
                if layout == L_TNL_SGW_QOS:
                    qci = get_qci(&v, False)
            put_erab(t, c.row, erab, list_id, qci, -1)
        elif layout == L_QOS_TNL_NAS or layout == L_QOS_NAS:
            qci = get_qci(&v, True)
            put_erab(t, c.row, erab, list_id, qci if not v.err else -1, -1)
            if layout == L_QOS_TNL_NAS and get_tnl(&v, &ipv4, &teid) == 0:
                put_fteid(t, c.row, 1, 0, teid, ipv4, erab)
            if not v.err and (ITEM_NAS_OPT[item_id] == 0 or
                              (bitmap >> (pre - ITEM_NAS_OPT[item_id])) & 1):
                nas_child(t, c, &v)
        else:
            put_erab(t, c.row, erab, list_id, -1, -1)
        if v.err:
            malformed(t, c.row)
    return 0


cdef int id_list(EventTable t, Ctx* c, Bits* b, int list_id) except -1:
    """UE-associatedLogicalS1-ConnectionListRes(Ack): SingleContainers of
    UE-associatedLogicalS1-ConnectionItem {mME-UE-S1AP-ID OPT, eNB-UE-S1AP-ID OPT, ...}."""
    cdef Py_ssize_t n = get_count(b, 1, 256, False), i, ilen
    cdef int item_id
    cdef uint64_t bitmap
    cdef int64_t mme, enb
    cdef Bits v
    for i in range(n):
        align(b)
        item_id = <int>get_bits(b, 16)
        get_bits(b, 2)
        ilen = get_length(b)
        if b.err or b.pos + ilen * 8 > b.nbits:
            b.err = 1
            return 0
        bits_init(&v, b.p + byte_pos(b), ilen)
        skip_bytes(b, ilen)
        if item_id != S1AP_IE_UE_associatedLogicalS1_ConnectionItem:
            continue
        bitmap = get_bits(&v, 4)
        mme = get_constrained_int(&v, 0, 1ULL << 32) if bitmap & 4 else -1
        enb = get_constrained_int(&v, 0, 1ULL << 24) if bitmap & 2 else -1
        if v.err:
            malformed(t, c.row)
        else:
            put_s1ap_ids(t, c.row, mme, enb, list_id)
    return 0


cdef int get_tai(Bits* b, int64_t* plmn, int64_t* tac) noexcept nogil:
    """TAI ::= SEQUENCE {pLMNidentity, tAC OCTET STRING (SIZE(2)), iE-Extensions OPTIONAL, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    plmn[0] = get_plmn(b)
    tac[0] = <int64_t>get_bits(b, 16)
    return seq_end(b, ext, opt)


cdef int decode_ie(EventTable t, Ctx* c, int ie_id, Bits* b) except -1:
    cdef Py_ssize_t row = c.row, n, i, j, k, npl, ng, nm
    cdef int64_t x, y, z, w, g
    cdef int alt
    cdef bint ext, opt
    cdef uint8_t digits[16]
    cdef const uint8_t* q
    cdef Bits inner
    cdef Py_ssize_t saved
    if ie_id == S1AP_IE_MME_UE_S1AP_ID:
        t.mme_ue_s1ap_id[row] = get_constrained_int(b, 0, 1ULL << 32)
    elif ie_id == S1AP_IE_eNB_UE_S1AP_ID:
        t.enb_ue_s1ap_id[row] = get_constrained_int(b, 0, 1ULL << 24)
    elif ie_id == S1AP_IE_MME_UE_S1AP_ID_2 or ie_id == S1AP_IE_SourceMME_UE_S1AP_ID:
        x = get_constrained_int(b, 0, 1ULL << 32)
        if not b.err:
            put_s1ap_ids(t, row, x, -1, ie_id)
    elif ie_id == S1AP_IE_UE_S1AP_IDs:
        x = -1
        y = -1
        alt = get_choice(b, 2, True)
        if alt == 0:
            ext = get_bits(b, 1)
            opt = get_bits(b, 1)
            x = get_constrained_int(b, 0, 1ULL << 32)
            y = get_constrained_int(b, 0, 1ULL << 24)
        elif alt == 1:
            x = get_constrained_int(b, 0, 1ULL << 32)
        if not b.err and alt >= 0 and alt < 2:
            t.mme_ue_s1ap_id[row] = x
            if y >= 0:
                t.enb_ue_s1ap_id[row] = y
            put_s1ap_ids(t, row, x, y, ie_id)
    elif ie_id == S1AP_IE_Cause:
        if get_cause(b, CAUSE_ROOT, 5, &x, &y) == 0:
            set_cause(t, c, x, y, -1, True)
    elif ie_id == S1AP_IE_HO_Cause:
        if get_cause(b, CAUSE_ROOT, 5, &x, &y) == 0:
            put_cause(t, row, C_S1AP, x, y, -1)
    elif ie_id == S1AP_IE_NAS_PDU:
        nas_child(t, c, b)
    elif ie_id == S1AP_IE_EUTRAN_CGI:
        if get_cgi(b, 28, &x, &y) == 0:
            t.plmn[row] = <int>x
            t.eci[row] = y
    elif ie_id == S1AP_IE_TAI:
        if get_tai(b, &x, &y) == 0:
            if t.plmn[row] < 0:
                t.plmn[row] = <int>x
            t.tac[row] = <int>y
    elif ie_id == S1AP_IE_PSCellInformation:
        ext = get_bits(b, 1)
        opt = get_bits(b, 1)
        if get_cgi(b, 36, &x, &y) == 0:
            t.nr_plmn[row] = <int>x
            t.nci[row] = y
    elif ie_id == S1AP_IE_UserLocationInformation:
        ext = get_bits(b, 1)
        opt = get_bits(b, 2)            # psCell-Information, iE-Extensions
        if get_cgi(b, 28, &x, &y) == 0:
            t.plmn[row] = <int>x
            t.eci[row] = y
        if get_tai(b, &x, &y) == 0:
            t.tac[row] = <int>y
        if opt & 2:
            get_bits(b, 2)
            if get_cgi(b, 36, &x, &y) == 0:
                t.nr_plmn[row] = <int>x
                t.nci[row] = y
    elif ie_id == S1AP_IE_S_TMSI:
        get_bits(b, 2)
        get_bits(b, 8)                  # mMEC
        align(b)
        x = <int64_t>get_bits(b, 32)
        if not b.err:
            t.m_tmsi[row] = x
    elif ie_id == S1AP_IE_UEPagingID:
        alt = get_choice(b, 2, True)
        if alt == 0:
            get_bits(b, 2)
            get_bits(b, 8)
            align(b)
            x = <int64_t>get_bits(b, 32)
            if not b.err:
                t.m_tmsi[row] = x
        elif alt == 1:
            n = get_count(b, 3, 8, False)
            align(b)
            k = 0
            if not b.err and b.pos + n * 8 <= b.nbits:
                q = b.p + byte_pos(b)
                for i in range(n):
                    if k < 16 and (q[i] & 0xF) <= 9:
                        digits[k] = 48 + (q[i] & 0xF)
                        k += 1
                    if k < 16 and (q[i] >> 4) <= 9:
                        digits[k] = 48 + (q[i] >> 4)
                        k += 1
                t.set_digits(t.imsi, row, digits, k)
                skip_bytes(b, n)
            else:
                b.err = 1
    elif ie_id == S1AP_IE_GUMMEI_ID or ie_id == S1AP_IE_SourceMME_GUMMEI:
        ext = get_bits(b, 1)
        opt = get_bits(b, 1)
        x = get_plmn(b)
        y = <int64_t>get_bits(b, 16)
        z = <int64_t>get_bits(b, 8)
        if not b.err:
            put_node(t, row, N_MME, x, (y << 8) | z, 24)
    elif ie_id == S1AP_IE_Global_ENB_ID:
        if get_global_enb_id(b, &x, &y, &z, &w) == 0:
            put_node(t, row, y, x, z, w)
    elif ie_id == S1AP_IE_eNBname or ie_id == S1AP_IE_MMEname:
        if get_bits(b, 1):
            n = get_length(b)
        else:
            n = <Py_ssize_t>get_constrained_int(b, 1, 150)
            align(b)
        if not b.err and b.pos + n * 8 <= b.nbits:
            put_str(t, row, S_NODE_NAME, c.base + (b.p - c.p) + byte_pos(b), n, ie_id)
            skip_bytes(b, n)
        else:
            b.err = 1
    elif ie_id == S1AP_IE_SupportedTAs:
        n = get_count(b, 1, 256, False)
        for i in range(n):
            ext = get_bits(b, 1)
            opt = get_bits(b, 1)
            y = <int64_t>get_bits(b, 16)           # tAC (2 octets, not aligned)
            npl = get_count(b, 1, 6, False)        # broadcastPLMNs
            x = -1
            for j in range(npl):
                z = get_plmn(b)
                if j == 0:
                    x = z
            if b.err:
                break
            put_cell(t, row, K_TAI, x, y, ie_id)
            seq_end(b, ext, opt)
    elif ie_id == S1AP_IE_ServedGUMMEIs:
        n = get_count(b, 1, 8, False)
        for i in range(n):
            ext = get_bits(b, 1)
            opt = get_bits(b, 1)
            npl = get_count(b, 1, 32, False)
            x = -1
            for j in range(npl):
                z = get_plmn(b)
                if j == 0:
                    x = z
            ng = get_count(b, 1, 65535, False)
            g = -1
            for j in range(ng):
                z = <int64_t>get_bits(b, 16)
                if j == 0:
                    g = z
            nm = get_count(b, 1, 256, False)
            for j in range(nm):
                z = <int64_t>get_bits(b, 8)
                if not b.err:
                    put_node(t, row, N_MME, x, (g << 8) | z, 24)
            if b.err:
                break
            seq_end(b, ext, opt)
    elif ie_id == S1AP_IE_TargetID:
        alt = get_choice(b, 3, True)
        put_enum(t, row, ie_id, alt)
        if alt == 0:                                # targeteNB-ID {global-ENB-ID, selected-TAI, ...}
            get_bits(b, 2)
            if get_global_enb_id(b, &x, &y, &z, &w) == 0:
                put_node(t, row, y, x, z, w)
                if get_tai(b, &x, &y) == 0:
                    put_cell(t, row, K_TAI, x, y, ie_id)
    elif ie_id == S1AP_IE_SONConfigurationTransferECT or ie_id == S1AP_IE_SONConfigurationTransferMCT:
        # {targeteNB-ID {global-ENB-ID, selected-TAI, ...}, sourceeNB-ID {global-ENB-ID,
        #  selected-TAI} (not extensible), sONInformation, x2TNLConfigurationInfo OPT, ...}
        get_bits(b, 3)
        ext = get_bits(b, 1)
        opt = get_bits(b, 1)
        if get_global_enb_id(b, &x, &y, &z, &w) == 0:
            put_node(t, row, y, x, z, w)
        get_tai(b, &x, &y)
        seq_end(b, ext, opt)
        opt = get_bits(b, 1)
        if get_global_enb_id(b, &x, &y, &z, &w) == 0:
            put_node(t, row, y, x, z, w)
    elif ie_id == S1AP_IE_Source_ToTarget_TransparentContainer:
        # intralte: OCTET STRING containing SourceeNB-ToTargeteNB-TransparentContainer
        # {rRC-Container, e-RABInformationList OPT, targetCell-ID, subscriberProfileIDforRFP OPT,
        #  uE-HistoryInformation, iE-Extensions OPT, ...}
        # The container is another layer's octets: if they do not decode, the S1AP PDU is still
        # fine, so what was read from them is dropped and the row is not flagged.
        if c.ho_type != 0 or get_open(t, b, &inner, &c.budget, False) != 0:
            return 0
        saved = t.n_items
        get_bits(&inner, 1)
        opt = get_bits(&inner, 1)       # e-RABInformationList present
        get_bits(&inner, 2)
        skip_open(&inner)               # rRC-Container
        if opt:
            erab_list(t, c, &inner, ie_id)
        if get_cgi(&inner, 28, &x, &y) == 0:
            put_cell(t, row, K_TARGET_ECGI, x, y, ie_id)
        if inner.err:
            t.n_items = saved
    elif ie_id == S1AP_IE_eNB_StatusTransfer_TransparentContainer or \
            ie_id == S1AP_IE_eNB_EarlyStatusTransfer_TransparentContainer:
        get_bits(b, 2)                  # {bearers list, iE-Extensions OPTIONAL, ...}
        erab_list(t, c, b, ie_id)
    elif ie_id == S1AP_IE_ResetType:
        alt = get_choice(b, 2, True)
        put_enum(t, row, ie_id, alt)
        if alt == 1:
            id_list(t, c, b, ie_id)
    elif ie_id == S1AP_IE_UE_associatedLogicalS1_ConnectionListResAck:
        id_list(t, c, b, ie_id)
    # the table-driven IEs (none of them named above) come last, in `else`, so that the
    # comparisons above compile to one C switch
    else:
        if ie_id < MAX_IE and ERAB_LIST[ie_id]:
            erab_list(t, c, b, ie_id)
        elif ie_id < MAX_IE and ENUM_ROOT[ie_id] != 0:
            x = ENUM_ROOT[ie_id]
            y = get_enum(b, <int>(x if x > 0 else -x), x > 0)
            if not b.err:
                put_enum(t, row, ie_id, y)
                if ie_id == S1AP_IE_HandoverType:
                    c.ho_type = <int>y
    return 0


cdef int decode_pdu(EventTable t, Py_ssize_t row) except -1:
    cdef Ctx c
    cdef Bits v
    cdef Py_ssize_t child, first_child = t.n
    if not pdu_begin(t, &c, row, C_S1AP, &KNOWN[0][0], S1AP_PROC_PrivateMessage, &v):
        return 0
    walk_ies(t, &c, &v, decode_ie)
    if v.err:
        malformed(t, row)
    for child in range(first_child, t.n):
        inherit(t, row, child)
    return 0


def decode(EventTable t, Py_ssize_t start=0):
    """Decode every S1AP row from `start` on (rows added here are NAS-EPS, not revisited)."""
    cdef Py_ssize_t row, end = t.n
    for row in range(start, end):
        if t.proto[row] == P_S1AP:
            decode_pdu(t, row)
