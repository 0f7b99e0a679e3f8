"""Email a report: a summary with PNG figures, the full report attached, sent over SMTP."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import default as DEFAULT_POLICY
from email.utils import format_datetime, parseaddr
from typing import Any

import css_inline

from reportgen.bidi import visible, visible_markup
from reportgen.deliver.archive import fingerprint
from reportgen.deliver.files import write_bytes_atomic
from reportgen.errors import ReportgenError, quoted
from reportgen.figures import email as mf
from reportgen.gate_checks import shown_values
from reportgen.render import environment, templates_dir
from reportgen.words.buckets import bucket_basis
from reportgen.words.classification import n_classes
from reportgen.words.common import in_sentence, plural
from reportgen.words.numbers import count, units_of

MAX_ROWS = 30  # per-class rows in the email; the attached report keeps all of them
MAX_SHORT = 10  # confusions, buckets, largest errors
# the Date of a message whose report has no creation time: the Unix epoch, the usual "no
# time" of reproducible builds (SOURCE_DATE_EPOCH=0). Never the clock: the .eml stays the
# same bytes, and a reader sees at once that the date is not real.
UNDATED = "Thu, 01 Jan 1970 00:00:00 +0000"
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def _meta(record: dict[str, Any]) -> list[tuple[str, str]]:
    """Model, input files, rows and creation time, as label-value pairs."""
    prov = record["provenance"]
    rows = [("Model", str(record["model"]))] if record.get("model") else []
    if prov.get("inputs"):
        rows += [(i["role"].capitalize(), f"{i['name']} ({i['path']})") for i in prov["inputs"]]
    elif prov["input"].get("path"):
        rows.append(("Input file", str(prov["input"]["path"])))
    evaluation = prov.get("evaluation")
    if evaluation and evaluation["rule"] != "no-split":  # which rows, when there are splits
        rows.append(("Rows described", str(evaluation["text"])))
    else:
        rows.append(("Rows", count(prov["input"]["rows"])))
    if prov.get("created"):
        rows.append(("Created", str(prov["created"])))
    return rows


def _worst(
    items: list[dict[str, Any]], key: Any, what: str, total: int | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Keep every item, or the MAX_ROWS first by key and a sentence saying so.

    total: the classes there are, when the record keeps rows for only some of them.
    """
    if len(items) <= MAX_ROWS:
        return items, ""
    if total is not None and total > len(items):
        note = (
            f"Showing the {MAX_ROWS} classes {what} of the {count(len(items))} the report "
            f"keeps (those in the most errors), of {count(total)}."
        )
        return sorted(items, key=key)[:MAX_ROWS], note
    note = f"Showing the {MAX_ROWS} classes {what} of {count(len(items))}; the report has all."
    return sorted(items, key=key)[:MAX_ROWS], note


def _classification(c: dict[str, Any]) -> dict[str, Any]:
    """Pick the per-class rows; say when the matrix is too large to draw."""
    k = n_classes(c)
    per_class, note = _worst(
        c["per_class"],
        lambda m: (m["f1"], m["label"]),
        "with the lowest F1, lowest first,",
        k,
    )
    matrix_note = (
        f"The confusion matrix has {k} classes, too many to read in an email; it is in the "
        "attached report."
        if k > mf.MAX_CONFUSION_CLASSES
        else ""
    )
    if "classes" in c:  # many classes: the report itself shows only some
        matrix_note = (
            f"The confusion matrix has {count(k)} classes, too many to read in an email; the "
            f"attached report shows those involved in the most errors."
        )
    return {
        "matrix_note": matrix_note,
        "per_class": per_class,
        "per_class_note": note,
        # older records kept only the largest 50 confusions, not their true number
        "confusion_pairs": c.get("confusion_pairs", len(c["top_confusions"])),
    }


def _buckets(b: dict[str, Any]) -> dict[str, Any]:
    """Pick the largest buckets; say what their shares are of."""
    what = "reviewed error" if b.get("reviewed_untagged") else "tagged error"
    base = b.get("share_base") or b.get("tagged_errors") or 0
    return {
        "items": b["items"][:MAX_SHORT],
        "base": plural(base, what),
        "total": len(b["items"]),
        "kind": b.get("ceiling_kind"),
        "basis": bucket_basis(b),
    }


def _evolution(e: dict[str, Any]) -> dict[str, Any]:
    """Keep the first, best, last and shown steps."""
    steps = e["per_step"]
    marks: dict[str, list[str]] = {}
    for step, what in (
        (steps[0]["step"], "first"),
        (e["best"], "best"),
        (steps[-1]["step"], "last"),
    ):
        marks.setdefault(step, []).append(what)
    marks.setdefault(e["shown_step"], []).append("shown in this summary")
    rows = [dict(s, marks=", ".join(marks[s["step"]])) for s in steps if s["step"] in marks]
    return {"column": e["column"], "rows": rows, "steps": len(steps)}


def _largest_errors(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows with the largest absolute residual, from both sides."""
    samples = record.get("samples") or {}
    rows = [
        row
        for key in ("under_predicted", "over_predicted")
        for row in (samples.get(key) or {}).get("rows", [])
    ]
    # each side keeps its own largest rows, so the merged first ten are the overall first ten
    rows.sort(key=lambda row: (-abs(row["residual"]), row["row"]))
    return rows[:MAX_SHORT]


def _comparison(c: dict[str, Any]) -> dict[str, Any]:
    """Pick the per-class changes to show (the largest F1 changes when there are many)."""
    per_class, note = _worst(
        c.get("per_class") or [],
        lambda p: (-abs(p["delta"]["f1"]), p["label"]),
        "whose F1 changed most, largest first,",
    )
    buckets = (c.get("buckets") or {}).get("items") or []
    return {
        "per_class": per_class,
        "per_class_note": note,
        "buckets": buckets[:MAX_SHORT],
        "buckets_total": len(buckets),
    }


def _content(record: dict[str, Any], report_name: str) -> dict[str, Any]:
    """Choose what the email shows, from the record only, and draw its figures."""
    gates = record.get("gates") or None
    if gates:  # a gate without a baseline or a reason may leave the key out
        items = [{"baseline": None, "reason": "", **g} for g in gates["items"]]
        for item in items:  # each value in its metric's style, as the gate's reason writes it
            item["value_shown"], item["baseline_shown"] = shown_values(item)
        gates = dict(gates, items=items)
    summary = record.get("summary") or {}  # older records may lack it
    with units_of(record):  # the pictures' words write values as the page does
        pictures = mf.email_pictures(record, max_buckets=MAX_SHORT, max_classes=15)
    context: dict[str, Any] = {
        "record": record,
        "report_name": report_name,
        "meta": _meta(record),
        "cards": summary.get("headline") or [],
        "findings": summary.get("findings") or [],
        "gates": gates,
        "gates_failed": [g for g in gates["items"] if not g["passed"]] if gates else [],
        "pictures": pictures,
        "max_short": MAX_SHORT,
        "cls": None,
        "buckets": None,
        "evolution": None,
        "regression": None,
        "comparison": None,
    }
    if "comparison" in record and record["comparison"].get("task") != "detection":
        # a detection comparison's email is its cards and findings, as a detection report's
        context["comparison"] = _comparison(record["comparison"])
    elif "classification" in record:
        context["cls"] = _classification(record["classification"])
        if (record.get("evolution") or {}).get("per_step"):
            context["evolution"] = _evolution(record["evolution"])
        if (record.get("buckets") or {}).get("items"):
            context["buckets"] = _buckets(record["buckets"])
    elif "regression" in record:
        context["regression"] = {
            "largest": _largest_errors(record),
            "rows": record["regression"]["n"],
        }
    return context


def render_text(context: dict[str, Any]) -> str:
    """Render the plain-text part."""
    with units_of(context.get("record")):
        # a bidirectional control in a label would reorder the lines of the message
        template = environment(html=False).get_template("email/message.txt.j2")
        return visible(template.render(**context))


def render_email_html(context: dict[str, Any]) -> str:
    """Render the HTML body with its styles inlined on each element."""
    with units_of(context.get("record")):
        page = visible_markup(environment().get_template("email/message.html.j2").render(**context))
    css = (templates_dir() / "email" / "email.css").read_text(encoding="utf-8")
    return css_inline.inline(page, extra_css=css, load_remote_stylesheets=False)


def _addresses(values: Sequence[str], option: str) -> list[str]:
    """Check the addresses given to an option (one or several, comma-separated) and list them."""
    out: list[str] = []
    for value in values:
        try:
            header = (
                None
                if "\n" in value or "\r" in value
                else DEFAULT_POLICY.header_factory("To", value)
            )
        except Exception:  # the header parser raises IndexError on some inputs, such as 'a@'
            header = None
        addresses = getattr(header, "addresses", ())
        if (
            header is None
            or header.defects
            or not addresses
            or any(not a.username or not a.domain for a in addresses)
        ):
            raise ReportgenError(
                f"{option} {quoted(value)} is not an email address: give name@example.org or "
                "'Name <name@example.org>' (several separated by commas)."
            )
        out.extend(str(a) for a in addresses)
    return out


def _subject(record: dict[str, Any]) -> str:
    """Say '<title> — accuracy 91.2%, macro F1 0.905', flagged when a CI gate failed."""
    parts = []
    for card in (record.get("summary") or {}).get("headline", [])[:2]:
        parts.append(f"{in_sentence(card['label'])} {card['value']}")
    subject = " ".join(str(record["title"]).split())
    if parts:
        subject += " — " + ", ".join(parts)
    gates = record.get("gates")
    if gates and not gates["passed"]:
        subject = "[gates failed] " + subject
    return visible(subject)


def _date(created: str) -> str:
    """The report's creation time as a Date header; UNDATED when it has none."""
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:  # no creation time, or a hand-edited one
        return UNDATED
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    if moment.year < 1900:
        # RFC 5322 years start at 1900, and mail readers take 0001 for 2001: say undated
        return UNDATED
    return format_datetime(moment)


def _message_id(record: dict[str, Any], content: str, headers: Sequence[str]) -> str:
    """A Message-ID from the record's fingerprint, the message's parts and its addresses."""
    fp = record["provenance"].get("fingerprint") or fingerprint(record)
    seed = hashlib.sha256("\n".join([fp, content, *headers]).encode()).hexdigest()
    domain = parseaddr(headers[0])[1].rpartition("@")[2] if headers[0] else ""
    if not _DOMAIN.fullmatch(domain):  # no sender, or one whose domain is not plain ASCII
        domain = "reportgen.invalid"
    return f"<{seed[:32]}.reportgen@{domain}>"


def message_warnings(message: EmailMessage, path: str | os.PathLike[str]) -> list[str]:
    """Say what a written message lacks: its addresses, or a date (the report had no time)."""
    warnings = []
    missing = [
        f"{what} ({option})"
        for header, what, option in (("To", "recipient", "--to"), ("From", "sender", "--from"))
        if header not in message
    ]
    if missing:
        warnings.append(
            f"{path} has no {' and no '.join(missing)}; add "
            f"{'them' if len(missing) > 1 else 'it'} before sending it."
        )
    if message["Date"] == UNDATED:
        warnings.append(
            f"{path} is dated 1 January 1970: the report has no creation time; build it with "
            "--created or SOURCE_DATE_EPOCH to date the message."
        )
    return warnings


def build_message(
    record: dict[str, Any],
    page: bytes,
    *,
    report_name: str = "report.html",
    to: Sequence[str] = (),
    sender: str | None = None,
    subject: str | None = None,
) -> EmailMessage:
    """Build the review email of a record: text and HTML summaries, figures by Content-ID,
    and the page (the report's HTML, as written) attached.

    The body comes from the record alone; an archived page gives its record with
    deliver.archive.record_from_html.
    """
    recipients = _addresses([to] if isinstance(to, str) else to, "--to")
    senders = _addresses([sender], "--from") if sender is not None else []
    if len(senders) > 1:
        raise ReportgenError(f"--from {quoted(sender)} names {len(senders)} addresses; give one.")
    context = _content(record, report_name)
    pictures = list(context["pictures"].values())
    text = render_text(context)
    body = render_email_html(context)
    attachment = page
    # boundaries and the Message-ID from the content, not from random numbers or the clock:
    # the same report, the same bytes
    digest = hashlib.sha256()
    for part in (text.encode(), body.encode(), *(p.png.data for p in pictures), attachment):
        digest.update(hashlib.sha256(part).digest())

    msg = EmailMessage()
    if senders:
        msg["From"] = senders[0]
    if recipients:
        msg["To"] = ", ".join(recipients)
    msg["Subject"] = " ".join((subject or _subject(record)).split())
    msg["Date"] = _date(str(record["provenance"].get("created") or ""))
    msg["Message-ID"] = _message_id(
        record,
        digest.hexdigest(),
        [senders[0] if senders else "", ", ".join(recipients), str(msg["Subject"])],
    )
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(body, subtype="html", cte="quoted-printable")
    html_part = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
    for picture in pictures:
        html_part.add_related(
            picture.png.data,
            "image",
            "png",
            cid=f"<{picture.cid}>",
            disposition="inline",
            filename=f"{picture.name}.png",
        )
    if pictures:
        html_part.set_param("type", "text/html")  # RFC 2387: the root part's type
    msg.add_attachment(
        attachment,
        "text",
        "html",
        filename=os.path.basename(report_name),
        params={"charset": "utf-8"},
    )
    # '=_' never occurs in base64 or quoted-printable text, so no part can contain a boundary
    for sub in msg.walk():
        if sub.is_multipart():
            sub.set_boundary(f"=_reportgen.{sub.get_content_subtype()}.{digest.hexdigest()[:24]}")
    return msg


def write_eml(message: EmailMessage, path: str | os.PathLike[str]) -> None:
    """Write the message as an .eml file (CRLF line ends, as sent), atomically."""
    write_bytes_atomic(path, message.as_bytes(policy=SMTP_POLICY))
