# cython: language_level=3
"""X2AP (TS 36.423) decoder, EN-DC included: an ALIGNED PER walker over X2AP-PDU.

For every row with proto X2AP it fills (see x2ap.pyi for the full contract):
  msg = pdu_type << 8 | procedure code, procedure_code, flags (F_MALFORMED, F_UNKNOWN_MSG);
  one I_IE item per IE (a=IE id, b=offset of the value in data, c=length, d=criticality), one for
  the message value (a=-1), and one per IE of the containers nested in the EN-DC node-type IEs;
  old/new eNB, MeNB and SgNB UE X2AP ID columns (extensions and further IDs as I_X2AP_IDS items);
  cause columns and I_CAUSE items per E-RAB (d = E-RAB id); I_ERAB items for every E-RAB list;
  ECGI / NR-CGI columns; I_NODE (Global eNB / en-gNB IDs) and I_CELL (served, target cells).
Bad bytes never raise: the row keeps what was decoded before the damage and gets F_MALFORMED.
"""
from libc.stdint cimport int64_t, uint8_t, uint64_t
from chrtool._fast.events cimport (EventTable, P_X2AP, F_MALFORMED, F_UNKNOWN_MSG, C_X2AP,
                                   I_X2AP_IDS, I_CAUSE, I_CELL, I_NODE, I_ERAB, I_IE,
                                   K_TARGET_ECGI, K_SERVED_ECGI, K_SERVED_NR_CGI, K_ECGI,
                                   K_NR_CGI, N_EN_GNB, X_OLD_ENB, X_NEW_ENB, X_MENB, X_SGNB)
from chrtool._fast.aper cimport (Bits, bits_init, get_bits, align, byte_pos, skip_bytes,
                                 get_length, get_constrained_int, get_enum, get_choice,
                                 skip_open, get_count, get_plmn, get_cgi, get_global_enb_id,
                                 get_global_gnb_id, get_cause, get_erab_id, get_int_ext,
                                 skip_ext_container, skip_seq_additions)
from chrtool._fast.x2ap_ids cimport *

from chrtool.decoders import x2ap_tables as _tables

cdef int[4] CAUSE_ROOT = [X2AP_CAUSE_ROOT_radioNetwork, X2AP_CAUSE_ROOT_transport,
                          X2AP_CAUSE_ROOT_protocol, X2AP_CAUSE_ROOT_misc]

cdef uint8_t KNOWN[3][256]
for (_t, _c) in _tables.MESSAGES:
    if 0 <= _t < 3 and 0 <= _c < 256:
        KNOWN[_t][_c] = 1

DEF MAX_IE = 512
# E-RAB items (values of the SingleContainers in the E-RAB lists), keyed by item IE id:
# (ext bit + OPTIONAL bitmap length, cause follows e-RAB-ID). Checked against the ASN.1 in
# tests/_fast/test_x2ap.py.
cdef uint8_t ITEM_PRE[MAX_IE]
cdef uint8_t ITEM_CAUSE[MAX_IE]
cdef uint8_t ERAB_LIST[MAX_IE]
ERAB_ITEMS = {
    X2AP_IE_E_RABs_Admitted_Item: (4, False),
    X2AP_IE_E_RAB_Item: (2, True),
    X2AP_IE_E_RABs_SubjectToStatusTransfer_Item: (3, False),
    X2AP_IE_E_RABs_ToBeReleased_ModReqdItem: (2, True),
    X2AP_IE_E_RABs_SubjectToCounterCheckItem: (2, False),
    X2AP_IE_E_RABs_ToBeAdded_SgNBAddReq_Item: (2, False),
    X2AP_IE_E_RABs_Admitted_ToBeAdded_SgNBAddReqAck_Item: (2, False),
    X2AP_IE_E_RABs_Admitted_ToBeAdded_SgNBModAck_Item: (2, False),
    X2AP_IE_E_RABs_Admitted_ToBeModified_SgNBModAck_Item: (2, False),
    X2AP_IE_E_RABs_Admitted_ToBeReleased_SgNBModAck_Item: (2, False),
    X2AP_IE_E_RABs_ToBeReleased_SgNBModReqd_Item: (2, True),
    X2AP_IE_E_RABs_ToBeModified_SgNBModReqd_Item: (2, False),
    X2AP_IE_E_RABs_ToBeReleased_SgNBChaConf_Item: (2, False),
    X2AP_IE_E_RABs_ToBeReleased_SgNBRelReq_Item: (2, False),
    X2AP_IE_E_RABs_ToBeReleased_SgNBRelConf_Item: (2, False),
    X2AP_IE_E_RABs_SubjectToSgNBCounterCheck_Item: (2, False),
    X2AP_IE_SecondaryRATUsageReport_Item: (2, False),
    X2AP_IE_E_RABs_AdmittedToBeModified_SgNBModConf_Item: (2, False),
    X2AP_IE_E_RABs_DataForwardingAddress_Item: (2, False),
    X2AP_IE_E_RABs_Admitted_ToBeReleased_SgNBRelReqAck_Item: (2, False),
    X2AP_IE_E_RABs_ToBeReleased_SgNBRelReqd_Item: (2, False),
}
ERAB_LISTS = (
    X2AP_IE_E_RABs_Admitted_List, X2AP_IE_E_RABs_NotAdmitted_List,
    X2AP_IE_E_RABs_SubjectToStatusTransfer_List, X2AP_IE_E_RABs_ToBeReleased_ModReqd,
    X2AP_IE_E_RABs_SubjectToCounterCheck_List, X2AP_IE_E_RABs_ToBeAdded_SgNBAddReqList,
    X2AP_IE_E_RABs_Admitted_ToBeAdded_SgNBAddReqAckList,
    X2AP_IE_E_RABs_Admitted_ToBeAdded_SgNBModAckList,
    X2AP_IE_E_RABs_Admitted_ToBeModified_SgNBModAckList,
    X2AP_IE_E_RABs_Admitted_ToBeReleased_SgNBModAckList,
    X2AP_IE_E_RABs_ToBeReleased_SgNBModReqdList, X2AP_IE_E_RABs_ToBeModified_SgNBModReqdList,
    X2AP_IE_E_RABs_ToBeReleased_SgNBChaConfList, X2AP_IE_E_RABs_ToBeReleased_SgNBRelReqList,
    X2AP_IE_E_RABs_ToBeReleased_SgNBRelConfList, X2AP_IE_E_RABs_SubjectToSgNBCounterCheck_List,
    X2AP_IE_SecondaryRATUsageReportList, X2AP_IE_E_RABs_AdmittedToBeModified_SgNBModConfList,
    X2AP_IE_E_RABs_DataForwardingAddress_List,
    X2AP_IE_E_RABs_Admitted_ToBeReleased_SgNBRelReqAckList,
    X2AP_IE_E_RABs_ToBeReleased_SgNBRelReqdList, 339,   # 339: E-RABs-NotAdmitted (SgNB mod.)
)
for _k, (_p, _c) in ERAB_ITEMS.items():
    ITEM_PRE[_k] = _p
    ITEM_CAUSE[_k] = _c
for _k in ERAB_LISTS:
    ERAB_LIST[_k] = 1

# IEs whose value is a CHOICE of nested ProtocolIE-Containers (EN-DC node types)
cdef uint8_t NODE_TYPE[MAX_IE]
for _k in (X2AP_IE_InitiatingNodeType_EndcX2Setup, X2AP_IE_RespondingNodeType_EndcX2Setup,
           X2AP_IE_InitiatingNodeType_EndcConfigUpdate, X2AP_IE_RespondingNodeType_EndcConfigUpdate,
           X2AP_IE_InitiatingNodeType_EndcX2Removal, X2AP_IE_RespondingNodeType_EndcX2Removal):
    NODE_TYPE[_k] = 1


cdef struct Ctx:
    Py_ssize_t row
    int64_t base
    const uint8_t* p
    Py_ssize_t n
    bint have_cause


cdef inline void set_cause(EventTable t, Ctx* c, int64_t group, int64_t value, int64_t context,
                           bint top) except *:
    if top:
        t.cause_proto[c.row] = C_X2AP
        t.cause_group[c.row] = <short>group
        t.cause_value[c.row] = <int>value
        c.have_cause = True
        return
    t.add_item(c.row, I_CAUSE, C_X2AP, group, value, context)
    if not c.have_cause and t.cause_proto[c.row] == 0:
        t.cause_proto[c.row] = C_X2AP
        t.cause_group[c.row] = <short>group
        t.cause_value[c.row] = <int>value


cdef int erab_list(EventTable t, Ctx* c, Bits* b, int list_id) except -1:
    cdef Py_ssize_t n = get_count(b, 1, 256, False), i, ilen
    cdef int item_id
    cdef int64_t erab, group, value
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
        if item_id >= MAX_IE or ITEM_PRE[item_id] == 0:
            continue
        get_bits(&v, ITEM_PRE[item_id])
        erab = get_erab_id(&v)
        if v.err:
            t.flags[c.row] |= F_MALFORMED
            continue
        t.add_item(c.row, I_ERAB, erab, list_id, -1, -1)
        if ITEM_CAUSE[item_id]:
            if get_cause(&v, CAUSE_ROOT, 4, &group, &value) == 0:
                set_cause(t, c, group, value, erab, False)
            elif v.err:
                t.flags[c.row] |= F_MALFORMED
    return 0


cdef int served_cell_info(Bits* b, int64_t* pci, int64_t* plmn, int64_t* eci) noexcept nogil:
    """ServedCell-Information {pCI, cellId ECGI, tAC, broadcastPLMNs, eUTRA-Mode-Info, iE-Ext OPT, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    cdef bint e2, o2, e3, o3
    cdef Py_ssize_t n, i
    cdef int mode
    pci[0] = get_int_ext(b, 0, 504)
    get_cgi(b, 28, plmn, eci)
    get_bits(b, 16)                                    # tAC
    n = get_count(b, 1, 6, False)
    for i in range(n):
        get_plmn(b)
    mode = get_choice(b, 2, True)
    if mode == 0:                                      # FDD-Info
        e2 = get_bits(b, 1)
        o2 = get_bits(b, 1)
        get_constrained_int(b, 0, 65536)
        get_constrained_int(b, 0, 65536)
        get_enum(b, 6, True)
        get_enum(b, 6, True)
        if o2:
            skip_ext_container(b)
        if e2:
            skip_seq_additions(b)
    elif mode == 1:                                    # TDD-Info
        e2 = get_bits(b, 1)
        o2 = get_bits(b, 1)
        get_constrained_int(b, 0, 65536)
        get_enum(b, 6, True)
        get_enum(b, 7, True)
        e3 = get_bits(b, 1)
        o3 = get_bits(b, 1)
        get_enum(b, 9, True)
        get_enum(b, 2, True)
        get_enum(b, 2, True)
        if o3:
            skip_ext_container(b)
        if e3:
            skip_seq_additions(b)
        if o2:
            skip_ext_container(b)
        if e2:
            skip_seq_additions(b)
    else:
        skip_open(b)
    if opt:
        skip_ext_container(b)
    if ext:
        skip_seq_additions(b)
    return 0 if not b.err else -1


cdef int neighbour_info(Bits* b) noexcept nogil:
    """Neighbour-Information: SEQUENCE (SIZE(0..512)) OF {eCGI, pCI, eARFCN, iE-Ext OPT, ...}."""
    cdef Py_ssize_t n = get_count(b, 0, 512, False), i
    cdef bint ext, opt
    cdef int64_t x, y
    for i in range(n):
        ext = get_bits(b, 1)
        opt = get_bits(b, 1)
        get_cgi(b, 28, &x, &y)
        get_int_ext(b, 0, 504)
        get_constrained_int(b, 0, 65536)
        if opt:
            skip_ext_container(b)
        if ext:
            skip_seq_additions(b)
        if b.err:
            return -1
    return 0


cdef int served_cells(EventTable t, Ctx* c, Bits* b, int ie_id, bint with_old) except -1:
    """ServedCells / ServedCellsToModify (with_old) / ServedEUTRAcellsENDCX2ManagementList:
    SEQUENCE (SIZE(1..256)) OF {[old-ecgi,] served cell info, neighbour OPT, iE-Ext OPT, ...}.
    For the EN-DC list the neighbour is NRNeighbour-Information: only its first element's cell
    is reached, so the walk stops after the first item that carries one."""
    cdef Py_ssize_t n = get_count(b, 1, 256, False), i
    cdef bint ext, nb, opt
    cdef int64_t pci, plmn, eci
    for i in range(n):
        ext = get_bits(b, 1)
        nb = get_bits(b, 1)
        opt = get_bits(b, 1)
        if with_old:
            get_cgi(b, 28, &plmn, &eci)
        if served_cell_info(b, &pci, &plmn, &eci) != 0:
            return 0
        t.add_item(c.row, I_CELL, K_SERVED_ECGI, plmn, eci, ie_id)
        if nb:
            if ie_id == X2AP_IE_ServedEUTRAcellsENDCX2ManagementList:
                return 0                               # NR neighbours: not walked (see above)
            neighbour_info(b)
        if opt:
            skip_ext_container(b)
        if ext:
            skip_seq_additions(b)
        if b.err:
            return 0
    return 0


cdef int decode_container(EventTable t, Ctx* c, Bits* v) except -1:
    """ProtocolIE-Container at v: one I_IE item and the IE's own decoding per field."""
    cdef Py_ssize_t nies, i, ielen
    cdef int ie_id, ie_crit
    cdef Bits w
    nies = get_count(v, 0, 65535, False)
    for i in range(nies):
        align(v)
        ie_id = <int>get_bits(v, 16)
        ie_crit = <int>get_bits(v, 2)
        ielen = get_length(v)
        if v.err or v.pos + ielen * 8 > v.nbits:
            t.flags[c.row] |= F_MALFORMED
            return 0
        t.add_item(c.row, I_IE, ie_id, c.base + (v.p - c.p) + byte_pos(v), ielen, ie_crit)
        bits_init(&w, v.p + byte_pos(v), ielen)
        decode_ie(t, c, ie_id, &w)
        if w.err:
            t.flags[c.row] |= F_MALFORMED
        skip_bytes(v, ielen)
    return 0


cdef int decode_ie(EventTable t, Ctx* c, int ie_id, Bits* b) except -1:
    cdef Py_ssize_t row = c.row, n, k
    cdef int64_t x, y, z, w
    cdef int alt
    cdef bint ext, opt
    if ie_id == X2AP_IE_Old_eNB_UE_X2AP_ID:
        t.old_enb_ue_x2ap_id[row] = get_constrained_int(b, 0, 4096)
    elif ie_id == X2AP_IE_New_eNB_UE_X2AP_ID:
        t.new_enb_ue_x2ap_id[row] = get_constrained_int(b, 0, 4096)
    elif ie_id == X2AP_IE_MeNB_UE_X2AP_ID:
        t.menb_ue_x2ap_id[row] = get_constrained_int(b, 0, 4096)
    elif ie_id == X2AP_IE_SgNB_UE_X2AP_ID:
        t.sgnb_ue_x2ap_id[row] = get_constrained_int(b, 0, 1ULL << 32)
    elif ie_id == X2AP_IE_Old_SgNB_UE_X2AP_ID:
        x = get_constrained_int(b, 0, 1ULL << 32)
        if not b.err:
            t.add_item(row, I_X2AP_IDS, X_SGNB, x, ie_id, -1)
    elif ie_id == X2AP_IE_Old_eNB_UE_X2AP_ID_Extension or \
            ie_id == X2AP_IE_New_eNB_UE_X2AP_ID_Extension or \
            ie_id == X2AP_IE_MeNB_UE_X2AP_ID_Extension:
        x = get_int_ext(b, 0, 4096)
        if not b.err:
            y = X_OLD_ENB if ie_id == X2AP_IE_Old_eNB_UE_X2AP_ID_Extension else \
                X_NEW_ENB if ie_id == X2AP_IE_New_eNB_UE_X2AP_ID_Extension else X_MENB
            t.add_item(row, I_X2AP_IDS, y, x, ie_id, -1)
    elif ie_id == X2AP_IE_UE_ContextInformation:
        # {mME-UE-S1AP-ID, ...}: the S1 ID the source eNB had, links X2 and S1 legs
        get_bits(b, 5)
        x = get_constrained_int(b, 0, 1ULL << 32)
        if not b.err:
            t.mme_ue_s1ap_id[row] = x
    elif ie_id == X2AP_IE_Cause:
        if get_cause(b, CAUSE_ROOT, 4, &x, &y) == 0:
            set_cause(t, c, x, y, -1, True)
    elif ie_id == X2AP_IE_MeNBCell_ID or ie_id == X2AP_IE_ECGI:
        if get_cgi(b, 28, &x, &y) == 0:
            t.plmn[row] = <int>x
            t.eci[row] = y
    elif ie_id == X2AP_IE_NRCGI:
        if get_cgi(b, 36, &x, &y) == 0:
            t.nr_plmn[row] = <int>x
            t.nci[row] = y
    elif ie_id == X2AP_IE_TargetCell_ID:
        if get_cgi(b, 28, &x, &y) == 0:
            t.add_item(row, I_CELL, K_TARGET_ECGI, x, y, ie_id)
    elif ie_id == X2AP_IE_ENB1_Cell_ID or ie_id == X2AP_IE_ENB2_Cell_ID:
        if get_cgi(b, 28, &x, &y) == 0:
            t.add_item(row, I_CELL, K_ECGI, x, y, ie_id)
    elif ie_id == X2AP_IE_GlobalENB_ID:
        if get_global_enb_id(b, &x, &y, &z, &w) == 0:
            t.add_item(row, I_NODE, y, x, z, w)
    elif ie_id == X2AP_IE_Globalen_gNB_ID or ie_id == X2AP_IE_Target_SgNB_ID:
        if get_global_gnb_id(b, &x, &z, &w) == 0:
            t.add_item(row, I_NODE, N_EN_GNB, x, z, w)
    elif ie_id == X2AP_IE_ServedCells or ie_id == X2AP_IE_ServedCellsToAdd or \
            ie_id == X2AP_IE_ServedEUTRAcellsENDCX2ManagementList:
        served_cells(t, c, b, ie_id, False)
    elif ie_id == X2AP_IE_ServedCellsToModify:
        served_cells(t, c, b, ie_id, True)
    elif ie_id == X2AP_IE_ServedCellsToDelete:
        n = get_count(b, 1, 256, False)
        for k in range(n):
            if get_cgi(b, 28, &x, &y) != 0:
                break
            t.add_item(row, I_CELL, K_SERVED_ECGI, x, y, ie_id)
    elif ie_id == X2AP_IE_ServedNRcellsENDCX2ManagementList:
        # items {servedNRCellInfo {nrpCI, nrCellID, ...}, nRNeighbourInfo OPT, iE-Ext OPT, ...}:
        # the NR cell info is not walked to its end, so only the first cell is read
        n = get_count(b, 1, 16384, False)
        if n >= 1:
            get_bits(b, 3)
            get_bits(b, 4)
            get_constrained_int(b, 0, 1008)
            if get_cgi(b, 36, &x, &y) == 0:
                t.add_item(row, I_CELL, K_SERVED_NR_CGI, x, y, ie_id)
    elif ie_id < MAX_IE and NODE_TYPE[ie_id]:
        alt = get_choice(b, 2, True)
        if alt == 0 or alt == 1:
            decode_container(t, c, b)
        elif alt > 1:
            skip_open(b)
    elif ie_id < MAX_IE and ERAB_LIST[ie_id]:
        erab_list(t, c, b, ie_id)
    return 0


cdef int decode_pdu(EventTable t, Py_ssize_t row) except -1:
    cdef Ctx c
    cdef Bits b, v
    cdef int pdu_type, pc, crit
    cdef Py_ssize_t vlen, start
    if t.payload_len[row] < 0 or t.payload_off[row] < 0 or \
            t.payload_off[row] + t.payload_len[row] > t.n_data:
        t.flags[row] |= F_MALFORMED
        return 0
    c.row = row
    c.base = t.payload_off[row]
    c.p = &t.data[0] + c.base
    c.n = t.payload_len[row]
    c.have_cause = False
    bits_init(&b, c.p, c.n)
    if get_bits(&b, 1):
        t.flags[row] |= F_UNKNOWN_MSG | (F_MALFORMED if b.err else 0)
        return 0                                       # X2AP-PDU extension alternative
    pdu_type = <int>get_bits(&b, 2)
    align(&b)
    pc = <int>get_bits(&b, 8)
    crit = <int>get_bits(&b, 2)
    vlen = get_length(&b)
    if b.err or pdu_type > 2:
        t.flags[row] |= F_MALFORMED
        if not b.err or b.pos > 16:
            t.procedure_code[row] = pc
            if pdu_type <= 2:
                t.msg[row] = (pdu_type << 8) | pc
        return 0
    t.procedure_code[row] = pc
    t.msg[row] = (pdu_type << 8) | pc
    if not KNOWN[pdu_type][pc]:
        t.flags[row] |= F_UNKNOWN_MSG
    start = byte_pos(&b)
    if start + vlen > c.n:
        t.flags[row] |= F_MALFORMED
        vlen = c.n - start
    t.add_item(row, I_IE, -1, c.base + start, vlen, crit)
    if pc == X2AP_PROC_privateMessage:
        return 0
    bits_init(&v, c.p + start, vlen)
    get_bits(&v, 1)
    decode_container(t, &c, &v)
    if v.err:
        t.flags[row] |= F_MALFORMED
    return 0


def decode(EventTable t, Py_ssize_t start=0):
    """Decode every X2AP row from `start` on."""
    cdef Py_ssize_t row, end = t.n
    for row in range(start, end):
        if t.proto[row] == P_X2AP:
            decode_pdu(t, row)
