"""The night's summary for people: report.txt, and report.html with its charts drawn as inline
SVG (one file that works offline: no script, no CDN, system fonts with CJK fallbacks)."""
import html
import json

from chrtool.batch.results import KPIS

FONT = ("system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', "
        "'PingFang SC', 'Microsoft YaHei', sans-serif")
TOP = 10


def _by(rows, key, weight=lambda r: 1):
    out = {}
    for r in rows:
        k = key(r)
        out[k] = out.get(k, 0) + weight(r)
    return out


def _cause(f):
    if not f["cause_name"]:
        return f["rule"] or "no answer"
    return f"{f['cause_proto']} #{f['cause_value']} {f['cause_name']}"


def _failures(cells):
    return [r for r in cells if r.get("failures")]


def _kpi_trend(cells):
    """hour -> kpi -> (attempts, successes) over all cells."""
    out, seen = {}, set()
    for r in cells:
        if (r["ecgi"], r["hour"]) in seen:
            continue
        seen.add((r["ecgi"], r["hour"]))
        for k in KPIS:
            a, s = out.setdefault(r["hour"], {}).get(k, (0, 0))
            out[r["hour"]][k] = (a + (r[f"{k}_attempts"] or 0), s + (r[f"{k}_successes"] or 0))
    return out


def text(summary, statuses, skipped, findings, common, cells, tickets):
    lines = ["chrtool batch report", "",
             f"inputs {summary['inputs']} (quarantined {summary['quarantined']}, skipped "
             f"{summary['skipped']})  messages {summary['messages']}  subscribers "
             f"{summary['subscribers']}  findings {summary['findings']}  common problems "
             f"{summary['common_problems']}  tickets {summary['tickets']}", ""]
    if tickets:
        lines.append("Tickets")
        for t in tickets:
            reasons = ", ".join(json.loads(t["reasons"]))
            lines.append(f"  {t['class']:10} {t['ticket']}  {t['failure_node'] or '-'}  "
                         f"{t['cause_name'] or '-'}  {t['disposition']}"
                         + (f"  ({reasons})" if reasons else ""))
        lines.append("")
    if common:
        lines.append("Common problems")
        lines += [f"  {c['id']}  {c['summary']}" for c in common]
        lines.append("")
    lines.append("Failures by hour")
    for hour, n in sorted(_by(_failures(cells), lambda r: r["hour"], lambda r: r["failures"]).items()):
        lines.append(f"  {hour}  {n}")
    lines += ["", "Top cells"]
    top = sorted(_by(_failures(cells), lambda r: r["ecgi"] or "(cell unknown)",
                     lambda r: r["failures"]).items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    lines += [f"  {cell}  {n}" for cell, n in top]
    lines += ["", "Top causes"]
    top = sorted(_by(findings, _cause, lambda f: f["count"] or 1).items(),
                 key=lambda kv: (-kv[1], kv[0]))[:TOP]
    lines += [f"  {n:6}  {cause}" for cause, n in top]
    lines += ["", "KPIs by hour (success rate, attempts)"]
    for hour, k in sorted(_kpi_trend(cells).items()):
        lines.append(f"  {hour}  " + "  ".join(
            f"{name} {s / a:.1%} ({a})" for name, (a, s) in k.items() if a))
    bad = [st for st in statuses if st["status"] != "ok"]
    if bad or skipped:
        lines += ["", "Inputs not used in full"]
        lines += [f"  {st['status']:11} {st['path']}: "
                  f"{st.get('reason') or '; '.join(st.get('problems', [])[:3])}" for st in bad]
        lines += [f"  {'skipped':11} {path}: {reason}" for path, reason in skipped]
    return "\n".join(lines) + "\n"


def _bars(title, pairs, width=640, label_width=260):
    """A horizontal bar chart: (label, value) pairs, labels cut with the full text on hover."""
    esc = html.escape
    if not pairs:
        return f"<h2>{esc(title)}</h2><p>none</p>"
    top = max(v for _, v in pairs) or 1
    row = 22
    parts = [f'<svg role="img" aria-label="{esc(title)}" width="{width}" '
             f'height="{row * len(pairs) + 10}" viewBox="0 0 {width} {row * len(pairs) + 10}">']
    for i, (label, v) in enumerate(pairs):
        y = 5 + i * row
        w = (width - label_width - 60) * v / top
        short = label if len(label) <= 38 else label[:36] + "…"
        parts.append(f'<g><title>{esc(label)}: {v}</title><text x="{label_width - 6}" '
                     f'y="{y + 15}" text-anchor="end">{esc(short)}</text><rect x="{label_width}" '
                     f'y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="#c0392b"/>'
                     f'<text x="{label_width + w + 4:.1f}" y="{y + 15}">{v}</text></g>')
    parts.append("</svg>")
    return f"<h2>{esc(title)}</h2>" + "".join(parts)


def _lines(title, series, hours, width=640, height=200):
    """KPI success rates by hour, one line per KPI (0-100 %)."""
    esc = html.escape
    if not hours:
        return f"<h2>{esc(title)}</h2><p>none</p>"
    colours = ("#2471a3", "#28b463", "#d68910", "#884ea0", "#cb4335")
    left, bottom = 40, height - 30
    step = (width - left - 150) / max(1, len(hours) - 1)
    parts = [f'<svg role="img" aria-label="{esc(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><line x1="{left}" y1="10" x2="{left}" '
             f'y2="{bottom}" stroke="#888"/><line x1="{left}" y1="{bottom}" '
             f'x2="{width - 150}" y2="{bottom}" stroke="#888"/>'
             f'<text x="2" y="16">100%</text><text x="2" y="{bottom}">0%</text>'
             f'<text x="{left}" y="{height - 8}">{esc(hours[0][11:16])}</text>'
             f'<text x="{width - 190}" y="{height - 8}">{esc(hours[-1][11:16])}</text>']
    for i, (name, rates) in enumerate(series.items()):
        pts = [(left + j * step, bottom - (bottom - 10) * r) for j, r in enumerate(rates)
               if r is not None]
        if not pts:
            continue
        c = colours[i % len(colours)]
        parts.append(f'<g><title>{esc(name)}</title><polyline fill="none" stroke="{c}" '
                     f'stroke-width="2" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
                     + '"/>' + "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{c}"/>'
                                       for x, y in pts)
                     + f'<text x="{width - 140}" y="{20 + 16 * i}" fill="{c}">{esc(name)}</text>'
                     + "</g>")
    parts.append("</svg>")
    return f"<h2>{esc(title)}</h2>" + "".join(parts)


def html_report(summary, statuses, skipped, findings, common, cells, tickets):
    esc = html.escape
    by_hour = sorted(_by(_failures(cells), lambda r: r["hour"], lambda r: r["failures"]).items())
    top_cells = sorted(_by(_failures(cells), lambda r: r["ecgi"] or "(cell unknown)",
                           lambda r: r["failures"]).items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    top_causes = sorted(_by(findings, _cause, lambda f: f["count"] or 1).items(),
                        key=lambda kv: (-kv[1], kv[0]))[:TOP]
    trend = _kpi_trend(cells)
    hours = sorted(trend)
    series = {k: [trend[h][k][1] / trend[h][k][0] if trend[h][k][0] else None for h in hours]
              for k in KPIS}
    head = (f"<p>inputs {summary['inputs']} (quarantined {summary['quarantined']}, skipped "
            f"{summary['skipped']}) &middot; messages {summary['messages']} &middot; subscribers "
            f"{summary['subscribers']} &middot; findings {summary['findings']} &middot; common "
            f"problems {summary['common_problems']} &middot; tickets {summary['tickets']}</p>")
    body = [head]
    if tickets:
        rows = "".join(
            f"<tr class=\"{esc(t['class'])}\"><td>{esc(t['class'])}</td><td>"
            + (f"<a href=\"{esc(t['report'])}\">{esc(t['ticket'])}</a>" if t["report"]
               else esc(t["ticket"]))
            + f"</td><td>{esc(t['failure_node'] or '-')}</td><td>{esc(t['cause_name'] or '-')}</td>"
            f"<td>{esc(t['disposition'])}</td><td>{esc(', '.join(json.loads(t['reasons'])))}</td>"
            f"<td>{esc(t['reply'] or '')}</td></tr>" for t in tickets)
        body.append("<h2>Tickets</h2><table><tr><th>class</th><th>ticket</th><th>failure node"
                    "</th><th>cause</th><th>disposition</th><th>why</th><th>reply</th></tr>"
                    f"{rows}</table>")
    if common:
        body.append("<h2>Common problems</h2><ul>" + "".join(
            f"<li><b>{esc(c['id'])}</b> {esc(c['summary'])}</li>" for c in common) + "</ul>")
    body.append(_bars("Failures by hour", by_hour))
    body.append(_bars("Top cells", top_cells))
    body.append(_bars("Top causes", top_causes))
    body.append(_lines("KPIs by hour (success rate)", series, hours))
    bad = [st for st in statuses if st["status"] != "ok"]
    if bad or skipped:
        body.append("<h2>Inputs not used in full</h2><ul>" + "".join(
            f"<li>{esc(st['status'])} {esc(st['path'])}: "
            f"{esc(st.get('reason') or '; '.join(st.get('problems', [])[:3]))}</li>" for st in bad)
            + "".join(f"<li>skipped {esc(p)}: {esc(r)}</li>" for p, r in skipped) + "</ul>")
    return ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>chrtool batch report"
            f"</title><style>body{{font-family:{FONT};margin:1em 2em}}table{{border-collapse:"
            "collapse}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}"
            "tr.must-solve td:first-child{color:#c0392b;font-weight:bold}svg text{font-size:12px}"
            "</style><h1>chrtool batch report</h1>" + "".join(body) + "</html>\n")

