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
from chrtool._fast.events cimport (EventTable, P_X2AP, F_UNKNOWN_MSG, malformed, C_X2AP,
                                   K_TARGET_ECGI, K_SERVED_ECGI, K_SERVED_NR_CGI, K_ECGI, N_EN_GNB,
                                   X_OLD_ENB, X_NEW_ENB, X_MENB, X_SGNB, put_cell, put_erab,
                                   put_fteid, put_node, put_x2ap_ids)
from chrtool._fast.aper cimport (Bits, get_bits, get_constrained_int, get_enum, get_choice,
                                 skip_open, get_count, get_plmn, get_cgi, get_global_enb_id,
                                 get_global_gnb_id, get_cause, get_erab_id, get_int_ext,
                                 seq_end, skip_bits_sized,
                                 skip_octets_sized, get_qci, get_tnl)
from chrtool._fast.ap_common cimport Ctx, set_cause, get_field, walk_ies, pdu_begin
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
    # items of the E-RAB lists inside UE-ContextInformation (14) and
    # UE-ContextInformation-SgNBModReq (215)
    X2AP_IE_E_RABs_ToBeSetup_Item: (3, False),
    X2AP_IE_E_RABs_ToBeAdded_SgNBModReq_Item: (2, False),
    X2AP_IE_E_RABs_ToBeModified_SgNBModReq_Item: (2, False),
    X2AP_IE_E_RABs_ToBeReleased_SgNBModReq_Item: (2, False),
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


cdef int erab_list(EventTable t, Ctx* c, Bits* b, int list_id, bint nested=False) except -1:
    """SEQUENCE (SIZE(1..256)) OF ProtocolIE-Single-Container {E-RAB item}: I_ERAB items
    (b = list_id; for the lists nested in a UE context IE, d = the item's IE id)."""
    cdef Py_ssize_t n = get_count(b, 1, 256, False), i
    cdef int item_id, crit
    cdef int64_t erab, group, value, ipv4, teid
    cdef Bits v
    for i in range(n):
        item_id = get_field(t, c, b, &crit, &v)
        if item_id < 0:
            return 0
        if item_id >= MAX_IE or ITEM_PRE[item_id] == 0:
            continue
        get_bits(&v, ITEM_PRE[item_id])
        erab = get_erab_id(&v)
        if v.err:
            malformed(t, c.row)
            continue
        put_erab(t, c.row, erab, list_id, -1, item_id if nested else -1)
        if item_id == X2AP_IE_E_RABs_ToBeAdded_SgNBAddReq_Item:
            if s1_ul_tunnel(&v, &ipv4, &teid) == 1:
                put_fteid(t, c.row, 1, 0, teid, ipv4, erab)     # the SGW's S1-U, as S1AP has it
            elif v.err:
                malformed(t, c.row)
        if ITEM_CAUSE[item_id]:
            if get_cause(&v, CAUSE_ROOT, 4, &group, &value) == 0:
                set_cause(t, c, group, value, erab, False)
            elif v.err:
                malformed(t, c.row)
    return 0


cdef int gtp_tunnel(Bits* b, int64_t* ipv4, int64_t* teid) noexcept nogil:
    """GTPtunnelEndpoint: SEQUENCE {transportLayerAddress, gTP-TEID, iE-Extensions OPTIONAL, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    if get_tnl(b, ipv4, teid) != 0:
        return -1
    return seq_end(b, ext, opt)


cdef int s1_ul_tunnel(Bits* b, int64_t* ipv4, int64_t* teid) noexcept nogil:
    """The rest of an E-RABs-ToBeAdded-SgNBAddReq-Item after its e-RAB-ID: 1 with the SGW's S1-U
    uplink tunnel endpoint (s1-UL-GTPtunnelEndpoint, only when the SgNB hosts the PDCP: the
    split bearer's uplink goes from the gNB to the SGW), 0 without one, -1 damaged."""
    cdef bint ext, o2, e2
    cdef uint64_t bitmap
    cdef int64_t x, y
    get_constrained_int(b, 1, 32)                  # drb-ID
    e2 = get_bits(b, 1)                            # EN-DC-ResourceConfiguration
    o2 = get_bits(b, 1)
    get_enum(b, 2, True)
    get_enum(b, 2, True)
    get_enum(b, 2, True)
    seq_end(b, e2, o2)
    if b.err or get_choice(b, 2, True) != 0:       # sgNBPDCPnotpresent: the MeNB's tunnel only
        return -1 if b.err else 0
    ext = get_bits(b, 1)
    bitmap = get_bits(b, 4)
    get_qci(b, True)                               # full-E-RAB-Level-QoS-Parameters
    if bitmap & 8:                                 # max-MCG-admit-E-RAB-Level-QoS-Parameters
        e2 = get_bits(b, 1)
        o2 = get_bits(b, 1)
        for _ in range(4):
            get_constrained_int(b, 0, 10000000001ULL)
        seq_end(b, e2, o2)
    if bitmap & 4:                                 # dL-Forwarding
        get_enum(b, 1, True)
    if bitmap & 2:                                 # meNB-DL-GTP-TEIDatMCG
        gtp_tunnel(b, &x, &y)
    if b.err or gtp_tunnel(b, ipv4, teid) != 0:    # s1-UL-GTPtunnelEndpoint
        return -1
    return 1


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
        seq_end(b, e2, o2)
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
        seq_end(b, e3, o3)
        seq_end(b, e2, o2)
    else:
        skip_open(b)
    return seq_end(b, ext, opt)


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
        seq_end(b, ext, opt)
        if b.err:
            return -1
    return 0


cdef int nr_txbw(Bits* b) noexcept nogil:
    """NR-TxBW {nRSCS ENUMERATED (4, ...), nRNRB ENUMERATED (29, ...), iE-Ext OPT, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    get_enum(b, 4, True)
    get_enum(b, 29, True)
    return seq_end(b, ext, opt)


cdef int nr_freq_info(Bits* b) noexcept nogil:
    """NRFreqInfo {nRARFCN (0..3279165), freqBandListNr SIZE(1..32) OF FreqBandNrItem
    {freqBandIndicatorNr (1..1024, ...), supportedSULBandList SIZE(0..32) OF
    {freqBandIndicatorNr, iE-Ext OPT, ...}, iE-Ext OPT, ...}, sULInformation {sUL-ARFCN,
    sUL-TxBW NR-TxBW, iE-Ext OPT, ...} OPT, iE-Ext OPT, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint sul = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    cdef bint e2, o2, e3, o3
    cdef Py_ssize_t n, m, i, j
    get_constrained_int(b, 0, 3279166)
    n = get_count(b, 1, 32, False)
    for i in range(n):
        e2 = get_bits(b, 1)
        o2 = get_bits(b, 1)
        get_int_ext(b, 1, 1024)
        m = get_count(b, 0, 32, False)
        for j in range(m):
            e3 = get_bits(b, 1)
            o3 = get_bits(b, 1)
            get_int_ext(b, 1, 1024)
            seq_end(b, e3, o3)
            if b.err:
                return -1
        seq_end(b, e2, o2)
        if b.err:
            return -1
    if sul:
        e2 = get_bits(b, 1)
        o2 = get_bits(b, 1)
        get_constrained_int(b, 0, 3279166)
        nr_txbw(b)
        seq_end(b, e2, o2)
    return seq_end(b, ext, opt)


cdef int nr_cell_common(Bits* b, int64_t* plmn, int64_t* nci) noexcept nogil:
    """The head shared by ServedNRCell-Information and the NRNeighbour-Information items:
    nrpCI (0..1007), nrCellID NRCGI, fiveGS-TAC OCTET STRING (SIZE(3)) OPT, configured-TAC
    OCTET STRING (SIZE(2)) OPT, given the two presence bits in b's preamble (read by the caller,
    passed back through plmn[0] as a 2-bit mask)."""
    cdef int64_t mask = plmn[0]
    get_constrained_int(b, 0, 1008)
    get_cgi(b, 36, plmn, nci)
    if mask & 2:
        skip_octets_sized(b, 3, 3, False)
    if mask & 1:
        skip_octets_sized(b, 2, 2, False)
    return 0 if not b.err else -1


cdef int served_nr_cell_info(Bits* b, int64_t* plmn, int64_t* nci) noexcept nogil:
    """ServedNRCell-Information {nrpCI, nrCellID, fiveGS-TAC OPT, configured-TAC OPT,
    broadcastPLMNs SIZE(1..6), nrModeInfo CHOICE {fdd {ul/dl-NRFreqInfo, ul/dl-NR-TxBW,
    iE-Ext OPT, ...}, tdd {nRFreqInfo, nR-TxBW, iE-Ext OPT, ...}, ...},
    measurementTimingConfiguration OCTET STRING, iE-Ext OPT, ...}: walked to its end."""
    cdef bint ext = get_bits(b, 1)
    cdef int64_t tacs = <int64_t>get_bits(b, 2)
    cdef bint opt = get_bits(b, 1)
    cdef bint e2, o2
    cdef Py_ssize_t n, i
    cdef int mode
    plmn[0] = tacs
    nr_cell_common(b, plmn, nci)
    n = get_count(b, 1, 6, False)
    for i in range(n):
        get_plmn(b)
    mode = get_choice(b, 2, True)
    if mode == 0 or mode == 1:
        e2 = get_bits(b, 1)
        o2 = get_bits(b, 1)
        nr_freq_info(b)
        if mode == 0:
            nr_freq_info(b)
            nr_txbw(b)
        nr_txbw(b)
        seq_end(b, e2, o2)
    else:
        skip_open(b)
    skip_open(b)                                       # measurementTimingConfiguration
    return seq_end(b, ext, opt)


cdef int nr_neighbour_info(Bits* b) noexcept nogil:
    """NRNeighbour-Information: SEQUENCE (SIZE(1..1024)) OF {nrpCI, nrCellID, fiveGS-TAC OPT,
    configured-TAC OPT, measurementTimingConfiguration, nRNeighbourModeInfo CHOICE {fdd
    {ul/dl-NRFreqInfo, iE-Ext OPT, ...}, tdd {nRFreqInfo, iE-Ext OPT, ...}, ...}, iE-Ext OPT, ...}."""
    cdef Py_ssize_t n = get_count(b, 1, 1024, False), i
    cdef bint ext, opt, e2, o2
    cdef int mode
    cdef int64_t x, y
    for i in range(n):
        ext = get_bits(b, 1)
        x = <int64_t>get_bits(b, 2)
        opt = get_bits(b, 1)
        nr_cell_common(b, &x, &y)
        skip_open(b)                                   # measurementTimingConfiguration
        mode = get_choice(b, 2, True)
        if mode == 0 or mode == 1:
            e2 = get_bits(b, 1)
            o2 = get_bits(b, 1)
            nr_freq_info(b)
            if mode == 0:
                nr_freq_info(b)
            seq_end(b, e2, o2)
        else:
            skip_open(b)
        seq_end(b, ext, opt)
        if b.err:
            return -1
    return 0


cdef int served_nr_cells(EventTable t, Ctx* c, Bits* b, int ie_id, bint to_modify) except -1:
    """ServedNRcellsENDCX2ManagementList (253): SIZE(1..16384) OF {servedNRCellInfo,
    nRNeighbourInfo OPT, iE-Ext OPT, ...}; ServedNRcellsToModifyENDCConfUpdList (261, to_modify):
    SIZE(1..16384) OF {old-nrcgi, servedNRCellInformation, nrNeighbourInformation OPT,
    nrDeactivationIndication ENUMERATED {deactivated, ...} OPT, iE-Ext OPT, ...}.
    One K_SERVED_NR_CGI item per served cell (the new cell for 261)."""
    cdef Py_ssize_t n = get_count(b, 1, 16384, False), i
    cdef bint ext, nb, deact = False, opt
    cdef int64_t plmn, nci
    for i in range(n):
        ext = get_bits(b, 1)
        nb = get_bits(b, 1)
        if to_modify:
            deact = get_bits(b, 1)
        opt = get_bits(b, 1)
        if to_modify:
            get_cgi(b, 36, &plmn, &nci)
        if served_nr_cell_info(b, &plmn, &nci) != 0:
            return 0
        put_cell(t, c.row, K_SERVED_NR_CGI, plmn, nci, ie_id)
        if nb:
            nr_neighbour_info(b)
        if deact:
            get_enum(b, 1, True)
        seq_end(b, ext, opt)
        if b.err:
            return 0
    return 0


cdef int served_cells(EventTable t, Ctx* c, Bits* b, int ie_id, bint with_old) except -1:
    """ServedCells / ServedCellsToModify (with_old) / ServedEUTRAcellsENDCX2ManagementList /
    ServedEUTRAcellsToModifyListENDCConfUpd (with_old): SEQUENCE (SIZE(1..256)) OF
    {[old-ecgi,] served cell info, neighbour OPT, iE-Ext OPT, ...}. The EN-DC lists' neighbour
    is NRNeighbour-Information, the others' Neighbour-Information."""
    cdef Py_ssize_t n = get_count(b, 1, 256, False), i
    cdef bint ext, nb, opt
    cdef bint nr_nb = ie_id == X2AP_IE_ServedEUTRAcellsENDCX2ManagementList or \
        ie_id == X2AP_IE_ServedEUTRAcellsToModifyListENDCConfUpd
    cdef int64_t pci, plmn, eci
    for i in range(n):
        ext = get_bits(b, 1)
        nb = get_bits(b, 1)
        opt = get_bits(b, 1)
        if with_old:
            get_cgi(b, 28, &plmn, &eci)
        if served_cell_info(b, &pci, &plmn, &eci) != 0:
            return 0
        put_cell(t, c.row, K_SERVED_ECGI, plmn, eci, ie_id)
        if nb:
            if nr_nb:
                nr_neighbour_info(b)
            else:
                neighbour_info(b)
        seq_end(b, ext, opt)
        if b.err:
            return 0
    return 0


cdef int as_security(Bits* b) noexcept nogil:
    """AS-SecurityInformation {key-eNodeB-star BIT STRING (SIZE(256)), nextHopChainingCount
    (0..7), iE-Ext OPT, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    skip_bits_sized(b, 256, 256, False)
    get_bits(b, 3)
    return seq_end(b, ext, opt)


cdef int security_capabilities(Bits* b) noexcept nogil:
    """UESecurityCapabilities / NRUESecurityCapabilities {BIT STRING (SIZE(16, ...)) x 2,
    iE-Ext OPT, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    skip_bits_sized(b, 16, 16, True)
    skip_bits_sized(b, 16, 16, True)
    return seq_end(b, ext, opt)


cdef int ambr(Bits* b) noexcept nogil:
    """UEAggregateMaximumBitRate {BitRate (0..10000000000) DL, UL, iE-Ext OPT, ...}."""
    cdef bint ext = get_bits(b, 1)
    cdef bint opt = get_bits(b, 1)
    get_constrained_int(b, 0, 10000000001ULL)
    get_constrained_int(b, 0, 10000000001ULL)
    return seq_end(b, ext, opt)


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
            put_x2ap_ids(t, row, X_SGNB, x, ie_id)
    elif ie_id == X2AP_IE_Old_eNB_UE_X2AP_ID_Extension or \
            ie_id == X2AP_IE_New_eNB_UE_X2AP_ID_Extension or \
            ie_id == X2AP_IE_MeNB_UE_X2AP_ID_Extension:
        x = get_int_ext(b, 0, 4096)
        if not b.err:
            y = X_OLD_ENB if ie_id == X2AP_IE_Old_eNB_UE_X2AP_ID_Extension else \
                X_NEW_ENB if ie_id == X2AP_IE_New_eNB_UE_X2AP_ID_Extension else X_MENB
            put_x2ap_ids(t, row, y, x, ie_id)
    elif ie_id == X2AP_IE_UE_ContextInformation:
        # {mME-UE-S1AP-ID, uESecurityCapabilities, aS-SecurityInformation,
        #  uEaggregateMaximumBitRate, subscriberProfileIDforRFP OPT, e-RABs-ToBeSetup-List,
        #  rRC-Context, handoverRestrictionList OPT, ...}: the S1 ID the source eNB had (links
        # X2 and S1 legs) and the E-RABs; what follows the list is not read
        get_bits(b, 1)
        x = <int64_t>get_bits(b, 4)
        y = get_constrained_int(b, 0, 1ULL << 32)
        if b.err:
            return 0
        t.mme_ue_s1ap_id[row] = y
        security_capabilities(b)
        as_security(b)
        ambr(b)
        if x & 8:
            get_constrained_int(b, 1, 256)             # subscriberProfileIDforRFP
        if not b.err:
            erab_list(t, c, b, ie_id, True)
    elif ie_id == X2AP_IE_UE_ContextInformation_SgNBModReq:
        # {nRUE-SecurityCapabilities OPT, sgNB-SecurityKey OPT, sgNBUEAggregateMaximumBitRate
        #  OPT, e-RABs-ToBeAdded OPT, e-RABs-ToBeModified OPT, e-RABs-ToBeReleased OPT, ...}
        get_bits(b, 1)
        x = <int64_t>get_bits(b, 7)
        if x & 64:
            security_capabilities(b)
        if x & 32:
            skip_bits_sized(b, 256, 256, False)
        if x & 16:
            ambr(b)
        for k in range(3):
            if (x >> (3 - k)) & 1 and not b.err:
                erab_list(t, c, b, ie_id, True)
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
            put_cell(t, row, K_TARGET_ECGI, x, y, ie_id)
    elif ie_id == X2AP_IE_ENB1_Cell_ID or ie_id == X2AP_IE_ENB2_Cell_ID:
        if get_cgi(b, 28, &x, &y) == 0:
            put_cell(t, row, K_ECGI, x, y, ie_id)
    elif ie_id == X2AP_IE_GlobalENB_ID:
        if get_global_enb_id(b, &x, &y, &z, &w) == 0:
            put_node(t, row, y, x, z, w)
    elif ie_id == X2AP_IE_Globalen_gNB_ID or ie_id == X2AP_IE_Target_SgNB_ID:
        if get_global_gnb_id(b, &x, &z, &w) == 0:
            put_node(t, row, N_EN_GNB, x, z, w)
    elif ie_id == X2AP_IE_ServedCells or ie_id == X2AP_IE_ServedCellsToAdd or \
            ie_id == X2AP_IE_ServedEUTRAcellsENDCX2ManagementList:
        served_cells(t, c, b, ie_id, False)
    elif ie_id == X2AP_IE_ServedCellsToModify or \
            ie_id == X2AP_IE_ServedEUTRAcellsToModifyListENDCConfUpd:
        served_cells(t, c, b, ie_id, True)
    elif ie_id == X2AP_IE_ServedCellsToDelete or \
            ie_id == X2AP_IE_ServedEUTRAcellsToDeleteListENDCConfUpd:
        n = get_count(b, 1, 256, False)
        for k in range(n):
            if get_cgi(b, 28, &x, &y) != 0:
                break
            put_cell(t, row, K_SERVED_ECGI, x, y, ie_id)
    elif ie_id == X2AP_IE_ServedNRcellsENDCX2ManagementList:
        served_nr_cells(t, c, b, ie_id, False)
    elif ie_id == X2AP_IE_ServedNRcellsToModifyListENDCConfUpd:
        served_nr_cells(t, c, b, ie_id, True)
    elif ie_id == X2AP_IE_ServedNRcellsToDeleteListENDCConfUpd:
        n = get_count(b, 1, 16384, False)
        for k in range(n):
            if get_cgi(b, 36, &x, &y) != 0:
                break
            put_cell(t, row, K_SERVED_NR_CGI, x, y, ie_id)
    # the table-driven IEs (none of them named above) come last, in `else`, so that the
    # comparisons above compile to one C switch
    else:
        if ie_id < MAX_IE and NODE_TYPE[ie_id]:
            alt = get_choice(b, 2, True)
            if alt == 0 or alt == 1:
                walk_ies(t, c, b, decode_ie)
            elif alt > 1:
                skip_open(b)
        elif ie_id < MAX_IE and ERAB_LIST[ie_id]:
            erab_list(t, c, b, ie_id)
    return 0


cdef int decode_pdu(EventTable t, Py_ssize_t row) except -1:
    cdef Ctx c
    cdef Bits v
    if pdu_begin(t, &c, row, C_X2AP, &KNOWN[0][0], X2AP_PROC_privateMessage, &v):
        walk_ies(t, &c, &v, decode_ie)
        if v.err:
            malformed(t, row)
    return 0


def decode(EventTable t, Py_ssize_t start=0):
    """Decode every X2AP row from `start` on."""
    cdef Py_ssize_t row, end = t.n
    for row in range(start, end):
        if t.proto[row] == P_X2AP:
            decode_pdu(t, row)
