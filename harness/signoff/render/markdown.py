"""Markdown: fit for a pull request or a CI step summary."""

from __future__ import annotations

from typing import Any

ICON = {"passed": "✅", "failed": "❌", "error": "💥", "skipped": "⏭️", "waived": "🟨", "not-covered": "⬜"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    verdict = "SIGNED OFF" if report["verdict"] == "signed-off" else "NOT SIGNED OFF"
    out = [
        f"# {report['sprint']}: {verdict}",
        "",
        f"{s['tasks_signed_off']} of {s['tasks_total']} tasks signed off · criteria: "
        + ", ".join(f"{n} {k}" for k, n in s["criteria"].items() if n)
        + f" · generated {report['generated_at']} · provider `{report['environment'].get('provider', '?')}`",
        "",
    ]
    if report.get("interrupted"):
        out += ["> **The run was interrupted**: criteria whose tests did not run are not covered.", ""]
    out += ["| Task | Title | Verdict | Passed | Failed | Error | Skipped | Waived | Not covered |",
            "|---|---|---|---|---|---|---|---|---|"]
    for t in report["tasks"]:
        c = t["counts"]
        mark = "✅ signed off" if t["verdict"] == "signed-off" else "❌ not signed off"
        out.append(
            f"| {t['id']} | {_cell(t['title'])} | {mark} | {c['passed']} | {c['failed']} | {c['error']} "
            f"| {c['skipped']} | {c['waived']} | {c['not-covered']} |"
        )
    out.append("")
    for t in report["tasks"]:
        out += [f"## {t['id']} {t['title']}: {t['verdict']}", ""]
        out += ["| Criterion | Status | Text | Tests |", "|---|---|---|---|"]
        for c in t["criteria"]:
            out.append(
                f"| {c['id']} | {ICON[c['status']]} {c['status']} | {_cell(c['text'])} | {len(c['tests'])} |"
            )
        details = [c for c in t["criteria"] if c["status"] not in ("passed", "not-covered") or c["evidence"]]
        for c in details:
            out += ["", f"<details><summary>{c['id']} {c['status']}: {_cell(c['text'])}</summary>", ""]
            if c["waiver"]:
                w = c["waiver"]
                out.append(f"Waived by {w['approved_by']} until {w['expires']}: {w['justification']}")
            for r in c["reasons"]:
                out += ["```", r[:2000], "```"]
            for e in c["evidence"]:
                out += [f"**{e['label']}**", "```", e["content"][:3000], "```"]
            out += ["</details>"]
        out.append("")
    return "\n".join(out) + "\n"
