"""JUnit XML (xunit2): one suite per task, one case per criterion, ids in the names."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET


def render_junit(report: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name=report["sprint"])
    for t in report["tasks"]:
        c = t["counts"]
        suite = ET.SubElement(
            root, "testsuite", name=f"{t['id']} {t['title']}",
            tests=str(len(t["criteria"])),
            failures=str(c["failed"] + c["not-covered"]),
            errors=str(c["error"]),
            skipped=str(c["skipped"]),
            time=f"{sum(x['duration_s'] for x in t['criteria']):.3f}",
            timestamp=report["generated_at"],
        )
        for cr in t["criteria"]:
            case = ET.SubElement(
                suite, "testcase", classname=t["id"], name=f"{cr['id']} {cr['text']}", time=f"{cr['duration_s']:.3f}"
            )
            reasons = "\n".join(cr["reasons"])
            status = cr["status"]
            if status == "failed":
                ET.SubElement(case, "failure", message=(reasons.splitlines() or ["failed"])[0][:500]).text = reasons
            elif status == "not-covered":
                ET.SubElement(case, "failure", message="NOT COVERED: no test claims this criterion")
            elif status == "error":
                ET.SubElement(case, "error", message=(reasons.splitlines() or ["error"])[0][:500]).text = reasons
            elif status == "skipped":
                ET.SubElement(case, "skipped", message=(reasons.splitlines() or ["skipped"])[0][:500])
            elif status == "waived":
                w = cr["waiver"]
                ET.SubElement(case, "system-out").text = (
                    f"WAIVED by {w['approved_by']} until {w['expires']}: {w['justification']}"
                )
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
