"""CI outputs from a record: a Markdown job summary and a JUnit file of the gates."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from reportgen.bidi import visible
from reportgen.errors import ReportgenError
from reportgen.words.buckets import bucket_basis
from reportgen.words.common import plural
from reportgen.words.numbers import count, pct

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"
BUCKETS_SHOWN = 3
FINDINGS_SHOWN = 3

# characters that start Markdown or HTML syntax inline; each is backslash-escaped
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#~&$!])")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")
# control characters (a line break above all) cannot be part of a link; spaces are %-encoded
_NOT_URL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# XML 1.0 cannot carry most control characters, escaped or not
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def md(text: object) -> str:
    """Escape text from the input for one line of Markdown: a table cell, a list item, a heading."""
    return _MARKDOWN.sub(r"\\\1", _NEWLINES.sub(" ", visible(str(text)))).strip()


def _table(header: list[str], rows: list[list[str]], align: list[str]) -> list[str]:
    rule = ["---:" if a == "right" else "---" for a in align]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _input_line(record: dict[str, Any]) -> str:
    """Describe what was evaluated: file, rows, task (and the two sides of a comparison)."""
    prov = record.get("provenance") or {}
    model = record.get("model")
    if record.get("task") == "comparison":
        comp = record["comparison"]
        inputs = prov.get("inputs") or []
        files = " against ".join(
            md(i.get("name")) + (f" ({md(i['path'])})" if i.get("path") else "")
            for i in reversed(inputs)
            if i.get("role") in ("baseline", "candidate")  # a detection comparison's truth aside
        )
        rows = comp.get("n")
        task = f"{comp.get('task')} comparison"
        parts = [files or "two prediction files"]
    else:
        source = prov.get("input") or {}
        rows = source.get("rows")
        task = str(record.get("task"))
        parts = [md(source["path"]) if source.get("path") else "in-memory data"]
        if model:
            parts.append(f"model {md(model)}")
    evaluation = prov.get("evaluation")
    if evaluation and evaluation["rule"] != "no-split":  # which rows, when there are splits
        parts.append(md(evaluation["text"]))
    elif rows is not None:
        parts.append(plural(rows, "row"))
    parts.append(md(task))
    if prov.get("created"):
        parts.append(f"created {md(prov['created'])}")
    return " · ".join(parts)


def _headline(record: dict[str, Any]) -> list[str]:
    cards = (record.get("summary") or {}).get("headline") or []
    if not cards:
        return []
    rows = [[md(c["label"]), md(c["value"]), md(c["detail"])] for c in cards]
    return ["", *_table(["Metric", "Value", "Detail"], rows, ["left", "right", "left"])]


def _gates(record: dict[str, Any]) -> list[str]:
    gates = record.get("gates")
    if not gates:
        return []
    items = gates["items"]
    failed = sum(not item["passed"] for item in items)
    if not items:
        title = "no gates set"
    elif failed:
        title = f"{failed} of {len(items)} failed"
    else:
        title = f"all {len(items)} passed"
    lines = ["", f"### Gates: {title}", ""]
    baseline = gates.get("baseline")
    if baseline:
        about = [md(baseline.get("path") or "a record")]
        if baseline.get("model"):
            about.append(f"model {md(baseline['model'])}")
        if baseline.get("created"):
            about.append(f"created {md(baseline['created'])}")
        lines += [f"Baseline: {', '.join(about)}", ""]
    for item in items:
        mark = "✅" if item["passed"] else "❌"
        lines.append(f"- {mark} **{md(item['gate'])}**: {md(item['reason'])}")
    return lines


def _buckets(record: dict[str, Any]) -> list[str]:
    buckets = record.get("buckets") or {}
    items = buckets.get("items") or []
    if not items:
        return []
    rows = [
        [
            md(b["name"]),
            count(b["count"]),
            pct(b["share"]),
            md(b["experiments"][0]) if b.get("experiments") else "–",
        ]
        for b in items[:BUCKETS_SHOWN]
    ]
    what = "reviewed" if buckets.get("reviewed_untagged") else "tagged"
    base = buckets.get("share_base")
    of = f" of {count(base)} {what} errors" if base else ""
    shown = f"top {BUCKETS_SHOWN} of {len(items)}" if len(items) > BUCKETS_SHOWN else "all"
    basis = bucket_basis(buckets)
    return [
        "",
        f"### Error buckets ({shown}){of}",
        "",
        *_table(
            ["Bucket", "Errors", "Share", "Try first"], rows, ["left", "right", "right", "left"]
        ),
        *(["", md(basis)] if basis else []),
    ]


def _findings(record: dict[str, Any]) -> list[str]:
    findings = (record.get("summary") or {}).get("findings") or []
    if not findings:
        return []
    cut = len(findings) > FINDINGS_SHOWN
    shown = f" (the first {FINDINGS_SHOWN} of {len(findings)})" if cut else ""
    return [
        "",
        f"### Findings{shown}",
        "",
        *(f"{i}. {md(text)}" for i, text in enumerate(findings[:FINDINGS_SHOWN], 1)),
    ]


def check_report_url(url: str) -> str:
    """Accept an absolute http(s) URL for the summary's link to the report, or explain."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # such as an unclosed '[' of an IPv6 address
        host = None
    if not host or parts.scheme.lower() not in ("http", "https") or _NOT_URL.search(url):
        raise ReportgenError(
            f"--report-url {url!r} is not an http(s) URL: give the address where the report can "
            "be opened, e.g. https://github.com/OWNER/REPO/actions/runs/RUN_ID (a relative link "
            "in a job summary points nowhere)."
        )
    return url


def summary_markdown(
    record: dict[str, Any], *, report_name: str = "report.html", report_url: str | None = None
) -> str:
    """Summarise a record as GitHub-flavoured Markdown: headline, gates, buckets, findings.

    The last line links to report_url; without one it says where the report is, since a
    relative link from a job summary points nowhere (the report is in an artifact zip).
    """
    title = record.get("title") or "reportgen report"
    if report_url is not None:
        link = quote(check_report_url(report_url), safe=":/?#@!$&'*+,;=%~")
        where = f"Full report: [{md(report_name)}]({link})"
    else:
        where = f"Full report: {md(report_name)}, in this run's artifacts."
    lines = [
        f"## {md(title)}",
        "",
        _input_line(record),
        *_headline(record),
        *_gates(record),
        *_buckets(record),
        *_findings(record),
        "",
        where,
    ]
    # md() shows a label's bidirectional controls; this also covers text not passed through it
    return visible("\n".join(lines) + "\n")


def append_step_summary(text: str, *, environ: Mapping[str, str] = os.environ) -> str | None:
    """Append text to the file GITHUB_STEP_SUMMARY names; return its path, or None when unset."""
    path = environ.get(SUMMARY_VARIABLE)
    if not path:
        return None
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise ReportgenError(
            f"{SUMMARY_VARIABLE}={path}: cannot append the job summary: {exc.strerror or exc}."
        ) from exc
    return path


def _xml_text(text: object) -> str:
    return visible(_NOT_XML.sub("\ufffd", str(text)))


def junit_xml(record: dict[str, Any], *, suite: str = "reportgen gates") -> str:
    """Describe the record's gates as JUnit XML: a test case per gate, a failure per failed one."""
    items = (record.get("gates") or {}).get("items") or []
    failures = sum(not item["passed"] for item in items)
    counts = {"tests": str(len(items)), "failures": str(failures), "errors": "0", "time": "0"}
    # junit-10.xsd (Jenkins, Surefire) allows `skipped` on <testsuite> but not on <testsuites>
    root = ET.Element("testsuites", {"name": _xml_text(suite), **counts})
    group = ET.SubElement(root, "testsuite", {"name": _xml_text(suite), **counts, "skipped": "0"})
    for item in items:
        case = ET.SubElement(
            group,
            "testcase",
            {"classname": "reportgen.gates", "name": _xml_text(item["gate"]), "time": "0"},
        )
        if not item["passed"]:
            failure = ET.SubElement(
                case, "failure", {"message": _xml_text(item["reason"]), "type": "GateFailed"}
            )
            failure.text = _xml_text(_failure_detail(item))
        else:
            ET.SubElement(case, "system-out").text = _xml_text(item["reason"])
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _failure_detail(item: dict[str, Any]) -> str:
    lines = [
        item["reason"],
        f"kind: {item['kind']}",
        f"value: {item['value']!r}",
        f"threshold: {item['threshold']!r}",
    ]
    if item.get("baseline") is not None:
        lines.append(f"baseline: {item['baseline']!r}")
    return "\n".join(lines)
