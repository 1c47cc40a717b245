"""A self-contained HTML page (no scripts, no external assets): opens from disk."""

from __future__ import annotations

from html import escape
from typing import Any

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.6rem} .verdict{padding:.8rem 1rem;border-radius:6px;font-weight:600;font-size:1.2rem}
.ok{background:#dafbe1;color:#116329} .ko{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem} th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} .s{font-weight:600;white-space:nowrap}
.passed{color:#116329}.failed,.error{color:#a40e26}.skipped{color:#7d4e00}.waived{color:#6639ba}.not-covered{color:#57606a}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:24rem;white-space:pre-wrap}
details{margin:.3rem 0} summary{cursor:pointer}
"""


def render_html(report: dict[str, Any]) -> str:
    ok = report["verdict"] == "signed-off"
    s = report["summary"]
    parts = [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        f"<title>{escape(report['sprint'])}: {escape(report['verdict'])}</title><style>{_CSS}</style>",
        f"<h1>{escape(report['sprint'])}</h1>",
        f"<p class='verdict {'ok' if ok else 'ko'}'>{'SIGNED OFF' if ok else 'NOT SIGNED OFF'}: "
        f"{s['tasks_signed_off']} of {s['tasks_total']} tasks</p>",
        f"<p>Generated {escape(report['generated_at'])}.</p>",
    ]
    if report.get("interrupted"):
        parts.append("<p class='verdict ko'>The run was interrupted.</p>")
    parts.append("<table><tr><th>Task</th><th>Title</th><th>Verdict</th>"
                 + "".join(f"<th>{k}</th>" for k in s["criteria"]) + "</tr>")
    for t in report["tasks"]:
        cls = "passed" if t["verdict"] == "signed-off" else "failed"
        parts.append(
            f"<tr><td><a href='#{t['id']}'>{t['id']}</a></td><td>{escape(t['title'])}</td>"
            f"<td class='s {cls}'>{t['verdict']}</td>"
            + "".join(f"<td>{n}</td>" for n in t["counts"].values()) + "</tr>"
        )
    parts.append("</table>")
    for t in report["tasks"]:
        parts.append(f"<h2 id='{t['id']}'>{t['id']} {escape(t['title'])}: {t['verdict']}</h2>")
        parts.append("<table><tr><th>Criterion</th><th>Status</th><th>Text and detail</th></tr>")
        for c in t["criteria"]:
            detail = [f"{escape(c['text'])}<br><small>Judged by: {escape(c['how'])}</small>"]
            if c["waiver"]:
                w = c["waiver"]
                detail.append(f"<p>Waived by {escape(w['approved_by'])} until {escape(w['expires'])}: "
                              f"{escape(w['justification'])}</p>")
            for r in c["reasons"]:
                detail.append(f"<pre>{escape(r[:4000])}</pre>")
            if c["tests"]:
                detail.append("<details><summary>tests</summary><pre>" + escape("\n".join(c["tests"])) + "</pre></details>")
            for e in c["evidence"]:
                detail.append(f"<details><summary>{escape(e['label'])}</summary><pre>{escape(e['content'])}</pre></details>")
            parts.append(f"<tr><td>{c['id']}</td><td class='s {c['status']}'>{c['status']}</td><td>{''.join(detail)}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Environment</h2><pre>" + escape(_env_text(report["environment"])) + "</pre></html>")
    return "\n".join(parts)


def _env_text(env: dict[str, Any], indent: str = "") -> str:
    lines = []
    for k, v in env.items():
        if isinstance(v, dict):
            lines.append(f"{indent}{k}:")
            lines.append(_env_text(v, indent + "  "))
        else:
            lines.append(f"{indent}{k}: {v}")
    return "\n".join(lines)
