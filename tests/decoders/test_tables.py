"""The generated protocol tables (decoders/*_tables.py, chrtool/_fast/*_ids.pxd).

Spot checks against values known from the specs, a cross-check against tshark's own value strings,
and a check that decoders/gen_tables.py reproduces the committed files byte for byte.
"""
import importlib
import importlib.metadata
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATED = ['decoders/s1ap_tables.py', 'decoders/x2ap_tables.py', 'decoders/nas_eps_tables.py',
             'decoders/gtpv2_tables.py', 'decoders/diameter_tables.py',
             'chrtool/_fast/s1ap_ids.pxd', 'chrtool/_fast/x2ap_ids.pxd']


def load(name):
    try:
        return importlib.import_module(f'chrtool.decoders.{name}')
    except ImportError:                       # package not installed: use the repo's decoders/
        if str(REPO / 'decoders') not in sys.path:
            sys.path.insert(0, str(REPO / 'decoders'))
        return importlib.import_module(name)


s1ap, x2ap = load('s1ap_tables'), load('x2ap_tables')
nas, gtpv2, diameter = load('nas_eps_tables'), load('gtpv2_tables'), load('diameter_tables')


# ---------------------------------------------------------------------------------------------
# spot checks (values from TS 36.413, 36.423, 24.301, 29.274, 29.272, RFC 6733)
# ---------------------------------------------------------------------------------------------

def test_s1ap():
    assert s1ap.PROCEDURES[12] == 'initialUEMessage'
    assert s1ap.PROCEDURES[9] == 'InitialContextSetup'
    assert s1ap.MESSAGES[(0, 12)] == 'InitialUEMessage'
    assert s1ap.MESSAGES[(0, 9)] == 'InitialContextSetupRequest'
    assert s1ap.MESSAGES[(1, 9)] == 'InitialContextSetupResponse'
    assert s1ap.MESSAGES[(2, 9)] == 'InitialContextSetupFailure'
    assert s1ap.MESSAGES[(0, 18)] == 'UEContextReleaseRequest'
    assert s1ap.MESSAGES[(0, 23)] == 'UEContextReleaseCommand'
    assert s1ap.IES[0] == 'MME-UE-S1AP-ID'
    assert s1ap.IES[8] == 'eNB-UE-S1AP-ID'
    assert s1ap.IES[26] == 'NAS-PDU'
    assert s1ap.IES[2] == 'Cause'
    assert s1ap.IES[99] == 'UE-S1AP-IDs'


def test_s1ap_causes():
    assert s1ap.CAUSE_GROUPS == ['radioNetwork', 'transport', 'nas', 'protocol', 'misc']
    assert s1ap.CAUSE_ROOT_COUNT == {'radioNetwork': 36, 'transport': 2, 'nas': 4, 'protocol': 7,
                                     'misc': 6}
    rn = s1ap.CAUSES['radioNetwork']
    assert rn[21] == 'radio-connection-with-ue-lost'
    assert rn[13] == 'unknown-mme-ue-s1ap-id'
    assert rn[20] == 'user-inactivity'
    assert rn[35] == 'x2-handover-triggered'                 # last root value
    assert rn[36] == 'redirection-towards-1xRTT'             # first extension value
    assert s1ap.CAUSES['nas'][:3] == ['normal-release', 'authentication-failure', 'detach']
    assert s1ap.CAUSES['transport'] == ['transport-resource-unavailable', 'unspecified']
    assert s1ap.CAUSES['misc'][3] == 'om-intervention'


ENDC_PROCEDURES = {   # procedure name -> messages (initiating, successful, unsuccessful)
    'sgNBAdditionPreparation': ('SgNBAdditionRequest', 'SgNBAdditionRequestAcknowledge',
                                'SgNBAdditionRequestReject'),
    'sgNBReconfigurationCompletion': ('SgNBReconfigurationComplete',),
    'meNBinitiatedSgNBModificationPreparation': ('SgNBModificationRequest',
                                                 'SgNBModificationRequestAcknowledge',
                                                 'SgNBModificationRequestReject'),
    'sgNBinitiatedSgNBModification': ('SgNBModificationRequired', 'SgNBModificationConfirm',
                                      'SgNBModificationRefuse'),
    'meNBinitiatedSgNBRelease': ('SgNBReleaseRequest', 'SgNBReleaseRequestAcknowledge',
                                 'SgNBReleaseRequestReject'),
    'sgNBinitiatedSgNBRelease': ('SgNBReleaseRequired', 'SgNBReleaseConfirm'),
    'sgNBCounterCheck': ('SgNBCounterCheckRequest',),
    'sgNBChange': ('SgNBChangeRequired', 'SgNBChangeConfirm', 'SgNBChangeRefuse'),
    'rRCTransfer': ('RRCTransfer',),
    'endcX2Setup': ('ENDCX2SetupRequest', 'ENDCX2SetupResponse', 'ENDCX2SetupFailure'),
    'endcConfigurationUpdate': ('ENDCConfigurationUpdate', 'ENDCConfigurationUpdateAcknowledge',
                                'ENDCConfigurationUpdateFailure'),
    'endcX2Removal': ('ENDCX2RemovalRequest', 'ENDCX2RemovalResponse', 'ENDCX2RemovalFailure'),
    'secondaryRATDataUsageReport': ('SecondaryRATDataUsageReport',),
}


def test_x2ap():
    assert x2ap.PROCEDURES[27] == 'sgNBAdditionPreparation'
    assert x2ap.MESSAGES[(0, 27)] == 'SgNBAdditionRequest'
    assert x2ap.MESSAGES[(1, 27)] == 'SgNBAdditionRequestAcknowledge'
    assert x2ap.MESSAGES[(2, 27)] == 'SgNBAdditionRequestReject'
    assert x2ap.MESSAGES[(0, 0)] == 'HandoverRequest'
    assert x2ap.IES[111] == 'MeNB-UE-X2AP-ID'
    assert x2ap.IES[207] == 'SgNB-UE-X2AP-ID'
    assert x2ap.CAUSE_GROUPS == ['radioNetwork', 'transport', 'protocol', 'misc']   # no nas group
    assert x2ap.CAUSE_ROOT_COUNT['radioNetwork'] == 22
    assert x2ap.CAUSES['radioNetwork'][0] == 'handover-desirable-for-radio-reasons'


@pytest.mark.parametrize('procedure', sorted(ENDC_PROCEDURES))
def test_x2ap_endc(procedure):
    code = {v: k for k, v in x2ap.PROCEDURES.items()}[procedure]
    got = tuple(x2ap.MESSAGES[(kind, code)] for kind in range(3) if (kind, code) in x2ap.MESSAGES)
    assert got == ENDC_PROCEDURES[procedure]


def test_nas_eps():
    expect_emm = {65: 'AttachRequest', 66: 'AttachAccept', 68: 'AttachReject', 69: 'DetachRequest',
                  75: 'TrackingAreaUpdateReject', 78: 'ServiceReject', 84: 'AuthenticationReject',
                  92: 'AuthenticationFailure', 93: 'SecurityModeCommand', 95: 'SecurityModeReject'}
    assert {k: nas.EMM_MESSAGES[k] for k in expect_emm} == expect_emm
    assert nas.EMM_SPECIAL == {12: 'ServiceRequest'}
    expect_esm = {193: 'ActivateDefaultEPSBearerContextRequest', 208: 'PDNConnectivityRequest',
                  209: 'PDNConnectivityReject', 205: 'DeactivateEPSBearerContextRequest'}
    assert {k: nas.ESM_MESSAGES[k] for k in expect_esm} == expect_esm
    assert nas.EMM_CAUSES[3] == 'Illegal UE'
    assert nas.EMM_CAUSES[7] == 'EPS services not allowed'
    assert nas.EMM_CAUSES[15] == 'No Suitable Cells In tracking area'
    assert nas.ESM_CAUSES[27] == 'Missing or unknown APN'
    assert nas.ESM_CAUSES[33] == 'Requested service option not subscribed'


def test_gtpv2():
    assert gtpv2.MESSAGES[32] == 'CreateSessionRequest'
    assert gtpv2.MESSAGES[33] == 'CreateSessionResponse'
    assert gtpv2.MESSAGES[170] == 'ReleaseAccessBearersRequest'
    assert gtpv2.MESSAGES[176] == 'DownlinkDataNotification'
    assert gtpv2.REQUEST_RESPONSES[32] == (33,)
    assert gtpv2.CAUSES[16] == 'Request accepted'
    assert gtpv2.CAUSES[64] == 'Context Not Found'
    assert gtpv2.CAUSES[87] == 'UE not responding'            # spec note reference stripped
    assert gtpv2.IE_TYPES[1] == 'IMSI'
    assert gtpv2.IE_TYPES[2] == 'Cause'
    assert gtpv2.IE_TYPES[87] == 'FTEID'
    assert gtpv2.IE_TYPES[93] == 'BearerContext'               # grouped IE, named by Wireshark
    assert gtpv2.FTEID_INTERFACES[10] == 'S11 MME GTP-C interface'
    assert gtpv2.FTEID_INTERFACES[11] == 'S11/S4 SGW GTP-C interface'
    assert gtpv2.RAT_TYPES[6].startswith('EUTRAN')


S6A_AND_BASE = {257: ('CER', 'CEA'), 280: ('DWR', 'DWA'), 282: ('DPR', 'DPA'), 272: ('CCR', 'CCA'),
                258: ('RAR', 'RAA'), 275: ('STR', 'STA'), 274: ('ASR', 'ASA'), 265: ('AAR', 'AAA'),
                316: ('ULR', 'ULA'), 317: ('CLR', 'CLA'), 318: ('AIR', 'AIA'), 319: ('IDR', 'IDA'),
                320: ('DSR', 'DSA'), 321: ('PUR', 'PUA'), 322: ('RSR', 'RSA'), 323: ('NOR', 'NOA')}


@pytest.mark.parametrize('code', sorted(S6A_AND_BASE))
def test_diameter_short(code):
    assert (diameter.SHORT[(code, True)], diameter.SHORT[(code, False)]) == S6A_AND_BASE[code]
    assert code in diameter.COMMANDS


def test_diameter():
    assert diameter.COMMANDS[257] == 'Capabilities-Exchange'
    assert diameter.COMMANDS[280] == 'Device-Watchdog'
    assert diameter.COMMANDS[316] == 'Update-Location'
    assert diameter.COMMANDS[318] == 'Authentication-Information'
    assert diameter.RESULT_CODES[2001] == 'DIAMETER_SUCCESS'
    assert diameter.RESULT_CODES[3002] == 'DIAMETER_UNABLE_TO_DELIVER'
    assert diameter.RESULT_CODES[5001] == 'DIAMETER_AVP_UNSUPPORTED'
    assert diameter.EXPERIMENTAL_RESULT_CODES[5001] == 'DIAMETER_ERROR_USER_UNKNOWN'
    assert diameter.EXPERIMENTAL_RESULT_CODES[5004] == 'DIAMETER_ERROR_ROAMING_NOT_ALLOWED'
    assert diameter.EXPERIMENTAL_RESULT_CODES[5420] == 'DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION'
    assert diameter.EXPERIMENTAL_RESULT_CODES[5421] == 'DIAMETER_ERROR_RAT_NOT_ALLOWED'
    assert diameter.EXPERIMENTAL_RESULT_CODES[4181] == 'DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE'
    assert diameter.AVPS[(0, 263)] == 'Session-Id'
    assert diameter.AVPS[(0, 268)] == 'Result-Code'
    assert diameter.AVPS[(0, 297)] == 'Experimental-Result'
    assert diameter.AVPS[(10415, 1407)] == 'Visited-PLMN-Id'
    assert diameter.AVPS[(10415, 1413)] == 'Authentication-Info'
    assert diameter.AVPS[(10415, 1032)] == 'RAT-Type'
    assert 'S6a' in diameter.APPLICATIONS[16777251]


def test_pxd_matches_tables():
    for proto, mod in (('S1AP', s1ap), ('X2AP', x2ap)):
        text = (REPO / f'chrtool/_fast/{proto.lower()}_ids.pxd').read_text()
        consts = {m[1]: int(m[2]) for m in re.finditer(r'^    (\w+) = (\d+)$', text, re.M)}
        assert consts[f'{proto}_CAUSE_CHOICE_ROOT'] == len(mod.CAUSE_GROUPS)
        for code, name in mod.PROCEDURES.items():
            assert consts[f'{proto}_PROC_' + re.sub(r'\W', '_', name)] == code
        for code, name in mod.IES.items():
            assert consts[f'{proto}_IE_' + re.sub(r'\W', '_', name)] == code
        for i, g in enumerate(mod.CAUSE_GROUPS):
            assert consts[f'{proto}_CAUSE_{g}'] == i
            assert consts[f'{proto}_CAUSE_ROOT_{g}'] == mod.CAUSE_ROOT_COUNT[g]
            assert consts[f'{proto}_CAUSE_EXT_{g}'] == len(mod.CAUSES[g]) - mod.CAUSE_ROOT_COUNT[g]
    assert 'S1AP_PROC_initialUEMessage = 12' in (REPO / 'chrtool/_fast/s1ap_ids.pxd').read_text()
    assert 'S1AP_IE_MME_UE_S1AP_ID = 0' in (REPO / 'chrtool/_fast/s1ap_ids.pxd').read_text()


def test_pxd_cythonize(tmp_path):
    cython = pytest.importorskip('Cython', reason='Cython is a build requirement of chrtool')
    del cython
    pyx = tmp_path / 'ids_check.pyx'
    pyx.write_text('from chrtool._fast.s1ap_ids cimport *\nfrom chrtool._fast.x2ap_ids cimport *\n'
                   'def f():\n    return S1AP_PROC_initialUEMessage + X2AP_PROC_sgNBAdditionPreparation\n')
    run = subprocess.run([sys.executable, '-m', 'cython', '-3', '-I', str(REPO), str(pyx)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


# ---------------------------------------------------------------------------------------------
# cross-check against Wireshark's own names
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def tshark_values(tshark):
    """Wireshark's value strings ({field: {number: {names}}}) from `tshark -G values`."""
    out = tshark.command('-G', 'values')
    values = defaultdict(lambda: defaultdict(set))
    for line in out.splitlines():
        p = line.split('\t')
        if len(p) == 4 and p[0] == 'V' and p[2].isdigit():
            values[p[1]][int(p[2])].add(p[3].strip())
    return values


def norm(text):
    return re.sub(r'[^a-z0-9]', '', text.lower())


@pytest.mark.tshark
@pytest.mark.parametrize('mod, proto', [(s1ap, 's1ap'), (x2ap, 'x2ap')], ids=['s1ap', 'x2ap'])
def test_asn1_against_tshark(tshark_values, mod, proto):
    # Wireshark 4.0 follows Rel-17; Rel-18 retired X2AP code 58 (MIMOPRBusageInformation)
    procs = tshark_values[f'{proto}.procedureCode']
    assert procs
    for code, name in mod.PROCEDURES.items():
        if code in procs and 'not-to-be-used' not in name:
            assert 'id-' + name in procs[code], code
    ies = tshark_values[f'{proto}.id']                       # ProtocolIE-IDs, mixed with other "id" fields
    known = [code for code in mod.IES if code in ies]
    assert len(known) > 300
    renamed = {code for code in known if f'id-{mod.IES[code]}' not in ies[code]}
    assert renamed == ({414} if proto == 'x2ap' else set())   # Rel-18: NRRACHReportInformation
    for group in mod.CAUSE_GROUPS:
        theirs = tshark_values[f'{proto}.{group}']
        assert theirs, group
        for value, names in theirs.items():
            assert mod.CAUSES[group][value] in names, (group, value)


@pytest.mark.tshark
def test_nas_against_tshark(tshark_values):
    for table, field in ((nas.EMM_CAUSES, 'nas_eps.emm.cause'), (nas.ESM_CAUSES, 'nas_eps.esm.cause')):
        theirs = tshark_values[field]
        assert theirs
        for value, name in table.items():
            if value in theirs:
                assert name in theirs[value], (field, value)


@pytest.mark.tshark
def test_gtpv2_against_tshark(tshark_values):
    def agree(ours, theirs):
        return any(norm(ours).startswith(norm(t)) or norm(t).startswith(norm(ours)) for t in theirs)
    for value, name in gtpv2.CAUSES.items():
        if value in tshark_values['gtpv2.cause']:
            assert agree(name, tshark_values['gtpv2.cause'][value]), value
    for value, name in gtpv2.MESSAGES.items():
        if value >= 32 and value in tshark_values['gtpv2.message_type']:     # 4-7 are TS 29.276 names
            assert agree(name, tshark_values['gtpv2.message_type'][value]), value


@pytest.mark.tshark
def test_diameter_against_tshark(tshark_values):
    theirs = tshark_values['diameter.Result-Code']
    differ = {code for code, name in diameter.RESULT_CODES.items()
              if code in theirs and name not in theirs[code]}
    assert differ == {4003}    # IANA data in pycrate: ELECTION_LOST, RFC 6733: DIAMETER_ELECTION_LOST
    commands = tshark_values['diameter.cmd.code']
    for code in S6A_AND_BASE:
        assert any(re.sub('^3GPP-', '', n) == diameter.COMMANDS[code] for n in commands[code]), code


# ---------------------------------------------------------------------------------------------
# the committed files are what the generator writes
# ---------------------------------------------------------------------------------------------

@pytest.mark.tshark
def test_generator_reproduces_committed_files(tshark, tmp_path):
    committed = (REPO / 'decoders/diameter_tables.py').read_text(encoding='utf-8')
    pycrate = re.search(r'pycrate (\S+)', committed)[1]
    wireshark = re.search(r'TShark \(Wireshark\) (\S+)', committed)[1]
    have_ws = tshark.command('--version').split()[2]
    have_pycrate = importlib.metadata.version('pycrate')
    if (have_pycrate, have_ws) != (pycrate, wireshark):
        pytest.skip(f'tables come from pycrate {pycrate} + Wireshark {wireshark}, installed are '
                    f'{have_pycrate} + {have_ws}: rerun python decoders/gen_tables.py')
    run = subprocess.run([sys.executable, str(REPO / 'decoders/gen_tables.py'), str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for rel in GENERATED:
        assert (tmp_path / rel).read_bytes() == (REPO / rel).read_bytes(), rel
