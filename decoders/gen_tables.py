#!/usr/bin/env python3
"""Generate chrtool's protocol tables (numbers -> names) from the spec data shipped with pycrate.

    python decoders/gen_tables.py [OUTDIR]      # OUTDIR defaults to the repository root

writes, below OUTDIR:
    decoders/s1ap_tables.py  decoders/x2ap_tables.py   3GPP TS 36.413 / 36.423 ASN.1 (pycrate_asn1dir)
    decoders/nas_eps_tables.py                         TS 24.301 (pycrate_mobile.TS24301_*)
    decoders/gtpv2_tables.py                           TS 29.274 (pycrate_mobile.TS29274_GTPC)
    decoders/diameter_tables.py                        IANA + TS 29.230 (pycrate_diameter)
    chrtool/_fast/s1ap_ids.pxd  chrtool/_fast/x2ap_ids.pxd   Cython constants for the APER walker

Where pycrate has no entry for a value, the entry comes from Wireshark (`tshark -G values` and its
Diameter dictionary XML), never typed by hand; each generated header lists what came from there.
The output depends only on the installed pycrate and Wireshark, so a rerun is byte-for-byte stable.
"""
import importlib.metadata
import inspect
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import defaultdict

from pycrate_asn1dir import S1AP, X2AP
from pycrate_mobile import TS24301_EMM, TS24301_ESM, TS24301_IE, TS29274_GTPC
from pycrate_diameter import Diameter3GPP, iana_diameter_dicts as IANA

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIRESHARK_DIAMETER = '/usr/share/wireshark/diameter'
PYCRATE = importlib.metadata.version('pycrate')

# pycrate_asn1dir records no 3GPP version for S1AP/X2AP. For pycrate 0.8.1 the release was found by
# comparing with pycrate's .asn sources: the modules match pycrate-org's Rel-18 update (S1AP IE ids
# up to 354 id-CoarseUELocation, X2AP up to 449 id-IABAuthorized), where the Rel-17 V17.4.0 sources
# (36413-h40, 36423-h40) end at 345 and 441. Re-check when pycrate changes.
ASN1_RELEASE_CHECKED_FOR = '0.8.1'
ASN1_RELEASE = {'S1AP': '3GPP TS 36.413 Release 18', 'X2AP': '3GPP TS 36.423 Release 18'}
SKIP_NAMES = ('Spare', 'Reserved', 'Unassigned', 'Unknown')


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def spec_version(code):
    """3GPP file-name version code -> 'V16.5.1' ('g51': digits 0-9 then a=10, b=11, ...)."""
    return 'V' + '.'.join(str(int(c, 36)) for c in code)


def pycrate_release_note(module):
    """The '# release N (xyz)' comment pycrate keeps in a pycrate_mobile module, version decoded."""
    m = re.search(r'^# release (\d+) \((\w{3})\)', inspect.getsource(module), re.M)
    return f"pycrate says 'release {m[1]} ({m[2]})' = {spec_version(m[2])}" if m else 'no release noted'


def clean(text):
    """Spec wording without table notes: 'UE not responding. See NOTE 7.' -> 'UE not responding'."""
    text = re.sub(r'\s*\(see NOTE[^)]*\)', '', text.strip())
    text = re.sub(r'\.?\s*See NOTES? .*$', '', text)
    return text.rstrip(' .')


def camel(text):
    """'Activate default EPS bearer context request' -> 'ActivateDefaultEPSBearerContextRequest'."""
    return ''.join(w[0].upper() + w[1:] for w in re.split(r'[^A-Za-z0-9]+', text) if w)


def ident(name):
    return re.sub(r'\W', '_', name)


_TSHARK = None


def tshark_values(field):
    """{value: name} of one Wireshark value_string, from `tshark -G values`."""
    global _TSHARK
    if _TSHARK is None:
        try:
            out = subprocess.run(['tshark', '-G', 'values'], capture_output=True, text=True,
                                 check=True).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(f'gen_tables.py needs tshark for values pycrate lacks: {exc}')
        _TSHARK = defaultdict(dict)
        for line in out.splitlines():
            p = line.split('\t')
            if len(p) == 4 and p[0] == 'V' and p[2].isdigit():
                _TSHARK[p[1]][int(p[2])] = p[3].strip()
    return _TSHARK[field]


def wireshark_version():
    out = subprocess.run(['tshark', '--version'], capture_output=True, text=True).stdout
    return out.splitlines()[0].split(' (Git')[0] if out else 'tshark (version unknown)'


def supplement(primary, field):
    """primary plus Wireshark's entries for values primary lacks; returns (table, added keys)."""
    table, added = dict(primary), []
    for k, v in sorted(tshark_values(field).items()):
        if k not in table and v and not v.startswith(SKIP_NAMES):
            table[k] = v
            added.append(k)
    return table, added


def wireshark_diameter():
    """Wireshark's Diameter dictionary (dictionary.xml with its entity files inlined)."""
    path = os.path.join(WIRESHARK_DIAMETER, 'dictionary.xml')
    if not os.path.exists(path):
        sys.exit(f'gen_tables.py needs the Wireshark Diameter dictionary: {path} is missing')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    entities = dict(re.findall(r'<!ENTITY\s+(\S+)\s+SYSTEM\s+"([^"]+)"\s*>', text))

    def inline(m):
        if m[1] not in entities:
            return m[0]
        with open(os.path.join(WIRESHARK_DIAMETER, entities[m[1]]), encoding='utf-8') as f:
            return re.sub(r'<\?xml[^>]*\?>', '', f.read())
    text = re.sub(r'<!DOCTYPE.*?\]>', '', text, flags=re.S)
    return ET.fromstring(re.sub(r'&(\w+);', inline, text))   # local system files, not user input


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------

def header(what, sources):
    lines = [f'# generated by decoders/gen_tables.py from {what}; do not edit.', '# Sources:']
    lines += [textwrap.fill(s, 100, initial_indent='#   ', subsequent_indent='#     ') for s in sources]
    lines += ['# Rerun: python decoders/gen_tables.py [OUTDIR]']
    return '\n'.join(lines) + '\n'


def module(doc, what, sources, *tables):
    return ''.join([f'"""{doc}"""\n', header(what, sources), f'\nSOURCE = {"; ".join(sources)!r}\n',
                    *('\n' + t for t in tables)])


def render_dict(name, table, doc, key=None):
    out = [f'# {doc}\n', f'{name} = {{\n']
    out += [f'    {k!r}: {table[k]!r},\n' for k in sorted(table, key=key)]
    out.append('}\n')
    return ''.join(out)


def render_causes(groups, causes, roots):
    out = ['# Cause CHOICE alternatives, in CHOICE order (root, then extension)\n',
           f'CAUSE_GROUPS = {groups!r}\n\n',
           '# number of root (non-extension) enumerations per group; the APER decoder needs it\n',
           'CAUSE_ROOT_COUNT = {\n']
    out += [f'    {g!r}: {roots[g]},\n' for g in groups]
    out += ['}\n\n', '# every enumeration name; list index == the value chrtool reports\n',
            '# (root index, and CAUSE_ROOT_COUNT[group] + i for the i-th extension value)\n',
            'CAUSES = {\n']
    for g in groups:
        out.append(f'    {g!r}: [\n')
        for i, n in enumerate(causes[g]):
            if i == roots[g]:
                out.append('        # ... extension values\n')
            out.append(f'        {n!r},  # {i}\n')
        out.append('    ],\n')
    out.append('}\n')
    return ''.join(out)


def write(outdir, relpath, text):
    path = os.path.join(outdir, relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    print(f'wrote {relpath}')


# ---------------------------------------------------------------------------------------------
# S1AP / X2AP
# ---------------------------------------------------------------------------------------------

def asn1_tables(pkg, proto):
    """Procedures, messages, IEs, cause groups/names/root counts and PDU alternatives of S1AP/X2AP."""
    def mod(name):
        return getattr(pkg, ident(f'{proto}-{name}'))
    consts = mod('Constants')
    procs, ies = {}, {}
    for name in consts._val_:
        obj = getattr(consts, ident(name))
        kind = obj._typeref.called[1] if obj._typeref else None
        if kind in ('ProcedureCode', 'ProtocolIE-ID'):
            table = procs if kind == 'ProcedureCode' else ies
            assert obj._val not in table, (proto, name)
            table[obj._val] = re.sub(r'^id-', '', name)

    descriptions = mod('PDU-Descriptions')
    pdu_types = list(getattr(descriptions, ident(f'{proto}-PDU'))._root)   # initiatingMessage, ...
    procedures = getattr(descriptions, ident(f'{proto}-ELEMENTARY-PROCEDURES'))._val
    messages = {}
    for ep in procedures.root + procedures.ext:
        for field, obj in ep.items():
            if field[0].isupper():                    # InitiatingMessage, SuccessfulOutcome, ...
                kind = pdu_types.index(field[0].lower() + field[1:])
                messages[(kind, ep['procedureCode'])] = obj._typeref.called[1]
    assert {pc for _, pc in messages} <= set(procs), proto

    cause = mod('IEs').Cause
    groups = list(cause._root) + list(cause._ext or [])
    causes, roots = {}, {}
    for g in groups:
        enum = cause._cont[g]
        causes[g] = list(enum._root) + list(enum._ext or [])
        roots[g] = len(enum._root)
        assert all(enum._cont[n] == i for i, n in enumerate(causes[g])), (proto, g)
    return dict(procs=procs, messages=messages, ies=ies, groups=groups, causes=causes, roots=roots,
                pdu_types=pdu_types, choice_root=len(cause._root))


def gen_asn1(outdir, pkg, proto):
    t = asn1_tables(pkg, proto)
    spec = ASN1_RELEASE[proto]
    if PYCRATE != ASN1_RELEASE_CHECKED_FOR:
        spec += f' (release as checked for pycrate {ASN1_RELEASE_CHECKED_FOR}; re-check)'
    what = f'pycrate {PYCRATE} pycrate_asn1dir/{os.path.basename(pkg.__file__)}, {spec}'
    sources = [f'{what}: {proto}-Constants (procedure codes, IE ids), {proto}-PDU-Descriptions '
               f'({proto}-ELEMENTARY-PROCEDURES), {proto}-IEs (Cause)']
    kinds = ', '.join(f'{i}={n}' for i, n in enumerate(t['pdu_types']))
    write(outdir, f'decoders/{proto.lower()}_tables.py', module(
        f'{proto} procedure codes, message names, IE ids and cause names.', what, sources,
        render_dict('PROCEDURES', t['procs'], 'procedure code -> ASN.1 id- name without "id-"'),
        render_dict('MESSAGES', t['messages'], f'(pdu_type, procedure code) -> ASN.1 message type; '
                    f'pdu_type {kinds}', key=lambda k: (k[1], k[0])),
        render_dict('IES', t['ies'], 'ProtocolIE-ID -> ASN.1 id- name without "id-"'),
        render_causes(t['groups'], t['causes'], t['roots'])))

    p = proto
    pxd = [header(what, sources), f'# usage: from chrtool._fast.{p.lower()}_ids cimport *\n',
           f'\n# {p}-PDU CHOICE alternatives\ncdef enum:\n']
    pxd += [f'    {p}_PDU_{n} = {i}\n' for i, n in enumerate(t['pdu_types'])]
    pxd += ['\n# procedure codes\ncdef enum:\n']
    pxd += [f'    {p}_PROC_{ident(n)} = {c}\n' for c, n in sorted(t['procs'].items())]
    pxd += ['\n# ProtocolIE-IDs\ncdef enum:\n']
    pxd += [f'    {p}_IE_{ident(n)} = {c}\n' for c, n in sorted(t['ies'].items())]
    pxd += ['\n# Cause CHOICE: root alternatives; per group its index, root and extension '
            'enumeration counts\ncdef enum:\n', f'    {p}_CAUSE_CHOICE_ROOT = {t["choice_root"]}\n']
    for i, g in enumerate(t['groups']):
        root = t['roots'][g]
        pxd += [f'    {p}_CAUSE_{g} = {i}\n', f'    {p}_CAUSE_ROOT_{g} = {root}\n',
                f'    {p}_CAUSE_EXT_{g} = {len(t["causes"][g]) - root}\n']
    names = [l.split('=')[0].strip() for l in pxd if l.startswith(f'    {p}_')]
    assert len(names) == len(set(names)), f'{p}: identifier collision in pxd'
    write(outdir, f'chrtool/_fast/{p.lower()}_ids.pxd', ''.join(pxd))


# ---------------------------------------------------------------------------------------------
# NAS-EPS
# ---------------------------------------------------------------------------------------------

def gen_nas(outdir):
    emm = {k: camel(v) for k, v in TS24301_EMM._EMM_dict.items()}
    esm = {k: camel(v) for k, v in TS24301_ESM._ESM_dict.items()}
    service_request = TS24301_EMM.EMMServiceRequest
    special = {service_request()[0]['SecHdr'].get_val(): re.sub('^EMM', '', service_request.__name__)}
    emm_causes, emm_ws = supplement({k: clean(v) for k, v in TS24301_IE._EMMCause_dict.items()},
                                    'nas_eps.emm.cause')
    esm_causes, esm_ws = supplement({k: clean(v) for k, v in TS24301_IE._ESMCause_dict.items()},
                                    'nas_eps.esm.cause')
    what = f'pycrate {PYCRATE} pycrate_mobile TS24301_*, 3GPP TS 24.301'
    sources = [f'pycrate {PYCRATE} pycrate_mobile: ' + ', '.join(
                   f'{m.__name__.split(".")[-1]} ({pycrate_release_note(m)})'
                   for m in (TS24301_EMM, TS24301_ESM, TS24301_IE)),
               f'{wireshark_version()} `tshark -G values` for causes pycrate lacks: EMM {emm_ws}, '
               f'ESM {esm_ws}']
    write(outdir, 'decoders/nas_eps_tables.py', module(
        'NAS-EPS (3GPP TS 24.301) message types and EMM/ESM cause names.', what, sources,
        render_dict('EMM_MESSAGES', emm, 'EMM message type -> spec message name in CamelCase'),
        render_dict('EMM_SPECIAL', special, 'security header type -> EMM message that has no '
                    'message type octet'),
        render_dict('ESM_MESSAGES', esm, 'ESM message type -> spec message name in CamelCase'),
        render_dict('SECURITY_HEADER_TYPES', TS24301_IE.SecHdrType_dict, 'security header type (9.3.1)'),
        render_dict('EMM_CAUSES', emm_causes, 'EMM cause (9.9.3.9) -> spec wording'),
        render_dict('ESM_CAUSES', esm_causes, 'ESM cause (9.9.4.4) -> spec wording')))


# ---------------------------------------------------------------------------------------------
# GTPv2-C
# ---------------------------------------------------------------------------------------------

def gen_gtpv2(outdir):
    G = TS29274_GTPC
    messages = {k: camel(re.sub(r' message$', '', v)) for k, v in G.GTPCMsgType_dict.items()
                if not v.startswith(SKIP_NAMES)}
    assert len(set(messages.values())) == len(messages)
    causes, cause_ws = supplement({k: clean(v) for k, v in G.Cause_dict.items()}, 'gtpv2.cause')
    desc, ie_ws = supplement({k: v[2] for k, v in G.GTPCIETags_dict.items()}, 'gtpv2.ie_type')
    ie_types = {k: v[0].__name__ for k, v in G.GTPCIETags_dict.items()}
    for k in ie_ws:     # Wireshark-only IE: its abbreviation in brackets, else its words joined
        m = re.search(r'\(([A-Za-z0-9-]+)\)\s*$', desc[k])
        ie_types[k] = m[1] if m else camel(desc[k])
    what = f'pycrate {PYCRATE} pycrate_mobile.TS29274_GTPC, 3GPP TS 29.274'
    sources = [f'pycrate {PYCRATE} pycrate_mobile.TS29274_GTPC ({pycrate_release_note(G)})',
               f'{wireshark_version()} `tshark -G values` for values pycrate lacks: causes {cause_ws}, '
               f'IE types {ie_ws}']
    write(outdir, 'decoders/gtpv2_tables.py', module(
        'GTPv2-C (3GPP TS 29.274) message types, causes, IE types, F-TEID interfaces, RAT types.',
        what, sources,
        render_dict('MESSAGES', messages, 'message type -> spec message name in CamelCase'),
        render_dict('REQUEST_RESPONSES', {k: tuple(v) for k, v in G.GTPCReqResp.items()},
                    'request message type -> its response types (None: no response defined)'),
        render_dict('CAUSES', causes, 'Cause value (8.4) -> spec wording'),
        render_dict('IE_TYPES', ie_types, 'IE type -> short name'),
        render_dict('IE_DESCRIPTIONS', desc, 'IE type -> spec wording (Table 8.1-1)'),
        render_dict('FTEID_INTERFACES', {k: clean(v) for k, v in G.FTEIDIF_dict.items()},
                    'F-TEID interface type (8.22) -> spec wording'),
        render_dict('RAT_TYPES', G.RATType_dict, 'RAT type (8.17) -> spec wording')))


# ---------------------------------------------------------------------------------------------
# Diameter
# ---------------------------------------------------------------------------------------------

def gen_diameter(outdir):
    root = wireshark_diameter()
    vendors = {v.get('vendor-id'): int(v.get('code')) for v in root.iter('vendor')}
    tgpp = vendors['TGPP']

    commands, short = {}, {}
    for code, text in sorted(IANA.Cmd_dict.items()):
        long_form = re.match(r'^(?:3GPP-)?([A-Za-z0-9-]+?)-Request/Answer \((\w+)/(\w+)\)$', text)
        abbr = (re.search(r'\((\w+) ?/ ?(\w+)\)', text) or re.match(r'^(\w+) / (\w+)$', text)
                or re.search(r'\((\w+)\)/.*\((\w+)\)$', text))      # (AIR/AIA), CER / CEA, (PIR)/..(PIA)
        if long_form:
            commands[code] = long_form[1]
        if abbr:
            short[(code, True)], short[(code, False)] = abbr.groups()
    cmd_ws = []
    for c in root.iter('command'):                 # IETF and 3GPP commands pycrate does not name
        code = int(c.get('code'))
        if code not in commands and c.get('vendor-id') in ('None', 'TGPP'):
            commands[code] = re.sub(r'^3GPP-', '', c.get('name'))
            cmd_ws.append(code)

    avps = {(0, k): v for k, v in IANA.AVPCodes_dict.items() if not v.startswith(SKIP_NAMES)}
    avps.update({(tgpp, k): v[0] for k, v in Diameter3GPP.TGPPAVPInfos_dict.items()})
    avp_ws = []
    for a in root.iter('avp'):
        key = (vendors[a.get('vendor-id', 'None')], int(a.get('code')))
        if key[0] == tgpp and key not in avps:
            avps[key] = a.get('name')
            avp_ws.append(key[1])

    results = {k: v for k, v in IANA.AVPSpecVal_dict[268].items() if not v.startswith(SKIP_NAMES)}
    exp = next(a for a in root.iter('avp') if a.get('code') == '298' and a.get('vendor-id') is None)
    experimental = {int(e.get('code')): e.get('name') for e in exp.iter('enum')}
    apps = {k: v for k, v in IANA.AppID_dict.items() if not v.startswith(SKIP_NAMES)}

    ws = wireshark_version()
    what = f'pycrate {PYCRATE} pycrate_diameter and {ws} Diameter dictionary'
    sources = [f'pycrate {PYCRATE} pycrate_diameter.iana_diameter_dicts (IANA AAA parameters: command '
               f'codes and abbreviations, Application-Ids, base AVP codes, Result-Code values) and '
               f'Diameter3GPP.TGPPAVPInfos_dict (3GPP TS 29.230 Rel.15.6: vendor 10415 AVP codes)',
               f'{ws} {WIRESHARK_DIAMETER}/dictionary.xml with its entity files, for what pycrate lacks: '
               f'command names {sorted(cmd_ws)}; vendor-10415 AVPs {sorted(avp_ws)} (TS 29.061); '
               f'all Experimental-Result-Code values (3GPP TS 29.230, used by TS 29.272 7.4 and '
               f'TS 29.229 6.2)']
    write(outdir, 'decoders/diameter_tables.py', module(
        'Diameter command codes, application ids, AVP codes, Result-Code and 3GPP '
        'Experimental-Result-Code names.', what, sources,
        render_dict('COMMANDS', commands, 'command code -> command name without -Request/-Answer'),
        render_dict('SHORT', short, '(command code, is_request) -> abbreviation, e.g. AIR / AIA'),
        render_dict('APPLICATIONS', apps, 'Application-Id -> name (IANA)'),
        render_dict('AVPS', avps, '(vendor id, AVP code) -> AVP name; vendor 0 = IETF, 10415 = 3GPP'),
        render_dict('RESULT_CODES', results, 'Result-Code (AVP 268) -> name'),
        render_dict('EXPERIMENTAL_RESULT_CODES', experimental,
                    'Experimental-Result-Code (AVP 298) with Vendor-Id 10415 (3GPP) -> name')))


def main(argv):
    outdir = os.path.abspath(argv[1]) if len(argv) > 1 else REPO
    gen_asn1(outdir, S1AP, 'S1AP')
    gen_asn1(outdir, X2AP, 'X2AP')
    gen_nas(outdir)
    gen_gtpv2(outdir)
    gen_diameter(outdir)


if __name__ == '__main__':
    main(sys.argv)
