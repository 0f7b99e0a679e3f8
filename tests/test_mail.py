"""The review email: its MIME layout and content for every example, and sending over SMTP."""

from __future__ import annotations

import email
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as DEFAULT_POLICY
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import reportgen
from reportgen.deliver.archive import record_from_html
from reportgen.deliver.mail import UNDATED, build_message, message_warnings, write_eml
from reportgen.deliver.smtp import SmtpSettings, send_message, smtp_settings
from reportgen.errors import ReportgenError
from reportgen.figures.email import email_confusion, uses_compact
from reportgen.figures.svg import figure_to_png, png_size
from reportgen.words.numbers import compact_count as compact
from tests.conftest import DIGITS as DIGITS_CSV
from tests.example_reports import EXAMPLES, build

LOOPBACK = "127.0.0.1"
GATES: dict[str, Any] = {
    "passed": False,
    "baseline": None,
    "items": [
        {
            "gate": "recall[tube_defect] >= 0.8",
            "kind": "fail-under",
            "metric": "recall",
            "label": "tube_defect",
            "threshold": 0.8,
            "value": 0.7234,
            "baseline": None,
            "passed": False,
            "reason": "recall of tube_defect is 0.7234, under 0.8",
        },
        {
            "gate": "accuracy >= 0.8",
            "kind": "fail-under",
            "metric": "accuracy",
            "label": None,
            "threshold": 0.8,
            "value": 0.8483,
            "baseline": None,
            "passed": True,
            "reason": "",
        },
    ],
}


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    """The HTML of every example report, built once."""
    return {name: build(spec).to_html() for name, spec in EXAMPLES.items()}


def message_of(page: str, **kwargs: Any) -> EmailMessage:
    """The email of an archived page, as `reportgen email` makes it: the record read once."""
    source = kwargs.get("report_name", "report.html")
    return build_message(record_from_html(page, source=source), page.encode("utf-8"), **kwargs)


def parts(msg: EmailMessage) -> dict[str, Any]:
    """Take a message apart along the layout build_message promises, asserting it on the way."""
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = list(msg.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = list(alternative.iter_parts())
    assert plain.get_content_type() == "text/plain"
    if related.get_content_type() == "multipart/related":
        assert related.get_param("type") == "text/html"
        html, *images = list(related.iter_parts())
        assert images, "a related part without pictures"
    else:  # no figure to show: the HTML stands alone
        html, images = related, []
    assert html.get_content_type() == "text/html"
    assert all(image.get_content_type() == "image/png" for image in images)
    assert attachment.get_content_type() == "text/html"
    assert attachment.get_content_disposition() == "attachment"
    return {
        "text": plain.get_content(),
        "html": html.get_content(),
        "images": {img["Content-ID"].strip("<>"): img.get_content() for img in images},
        "attachment": attachment,
    }


def img_tags(html: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<img\b[^>]*>", html)]


def edited(page: str, **changes: Any) -> str:
    """Change a report's embedded record (a key set to None is removed)."""
    from reportgen.render import embed_json

    record = record_from_html(page)
    record.update(changes)
    record = {k: v for k, v in record.items() if v is not None}
    body = str(embed_json(record))
    return re.sub(
        r'(<script type="application/json" id="reportgen-data">).*?(</script>)',
        lambda m: m.group(1) + body + m.group(2),
        page,
        flags=re.S,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler that keeps what arrives and refuses addresses at refused.example."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def check_password(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"ci", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback; parametrise indirectly with Controller keywords."""
    options: dict[str, Any] = getattr(request, "param", {})
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname=LOOPBACK, port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


# ---------------------------------------------------------------- building the message


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_gives_a_mail_client_friendly_email(name: str, pages: dict[str, str]) -> None:
    page = pages[name]
    record = record_from_html(page)
    msg = message_of(page, to=["reviewer@example.org"], sender="CI <ci@example.org>")
    got = parts(msg)
    html, text = got["html"], got["text"]

    assert len(html.encode("utf-8")) < 90_000
    for banned in ("<script", "<svg", "<style", "<link", "url("):
        assert banned not in html.lower()
    assert not re.search(r"""\b(src|href)=["']?(data:|https?:|//)""", html, flags=re.I)
    assert not re.search(r"<[^>]*\son\w+\s*=", html)  # no event handlers
    assert "<table" in html and 'style="' in html  # table layout, styles inlined

    # every picture: a cid the message carries, alt text, drawn at twice its display width
    tags = img_tags(html)
    assert {t["src"].removeprefix("cid:") for t in tags} == set(got["images"])
    for tag in tags:
        assert tag["src"].startswith("cid:") and tag["alt"].strip()
        assert int(tag["width"]) <= 640
        png = got["images"][tag["src"].removeprefix("cid:")]
        assert png_size(png) == (2 * int(tag["width"]), 2 * int(tag["height"]))
        assert re.fullmatch(r"[a-z0-9-]+\.[0-9a-f]{12}@reportgen", tag["src"][4:])

    # the plain part: title, headline, findings, the pointer to the attachment
    assert record["title"] in text
    for card in record["summary"]["headline"]:
        assert f"{card['label']}: {card['value']} — {card['detail']}" in text
    assert record["summary"]["findings"][0][:60] in " ".join(text.split())
    assert text.rstrip().endswith("The full report is attached as report.html.")

    attachment = got["attachment"]
    assert attachment.get_filename() == "report.html"
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_payload(decode=True) == page.encode("utf-8")

    assert msg["To"] == "reviewer@example.org"
    assert msg["From"] == "CI <ci@example.org>"
    first_two = record["summary"]["headline"][:2]
    assert msg["Subject"].startswith(record["title"] + " — ")
    assert all(card["value"] in msg["Subject"] for card in first_two)
    assert msg["Date"] == UNDATED  # the examples have no creation time
    assert re.fullmatch(r"<[0-9a-f]{32}\.reportgen@example\.org>", msg["Message-ID"])


def test_what_each_kind_of_report_shows(pages: dict[str, str]) -> None:
    def html_of(name: str) -> str:
        return str(parts(message_of(pages[name]))["html"])

    def images_of(name: str) -> set[str]:
        return {cid.split(".")[0] for cid in parts(message_of(pages[name]))["images"]}

    digits = html_of("digits")
    assert "Per-class metrics" in digits and "Top confusions" in digits
    assert "Error buckets" not in digits  # no tags, no bucket table
    assert images_of("digits") == {"confusion-matrix"}

    inspection = html_of("inspection")
    assert "Error buckets and experiments" in inspection and "rare class" in inspection
    assert "Add or collect more examples of the class" in inspection
    assert images_of("inspection") == {"confusion-matrix", "error-buckets"}

    training = html_of("digits-training")
    assert "Training evolution" in training and "shown in this summary" in training
    assert images_of("digits-training") == {"evolution", "confusion-matrix"}

    diabetes = html_of("diabetes")
    assert "Largest errors" in diabetes and "patient-102" in diabetes and "RMSE" in diabetes
    assert "Per-class" not in diabetes
    assert images_of("diabetes") == {"residuals"}

    compare = html_of("inspection-compare")
    assert "Per-class changes" in compare and "Metric changes" in compare
    assert "Tagged errors before and after" in compare and "dark" in compare
    assert images_of("inspection-compare") == {"f1-change"}


def test_the_same_report_gives_the_same_bytes(pages: dict[str, str], tmp_path: Path) -> None:
    page = pages["inspection"]
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    write_eml(message_of(page, to=["a@example.org"]), first)
    write_eml(message_of(page, to=["a@example.org"]), second)
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    boundaries = set(re.findall(rb'boundary="([^"]+)"', data))
    assert len(boundaries) == 3 and all(b.startswith(b"=_reportgen.") for b in boundaries)
    # nothing in the PNGs that varies from run to run or machine to machine
    for png in parts(email.message_from_bytes(data, policy=DEFAULT_POLICY))["images"].values():
        assert b"Software" not in png and b"matplotlib" not in png
    # a different report, different boundaries
    other = message_of(pages["digits"], to=["a@example.org"]).as_bytes()
    assert not boundaries & set(re.findall(rb'boundary="([^"]+)"', other))


def test_date_comes_only_from_the_record(tmp_path: Path, pages: dict[str, str]) -> None:
    from tests.conftest import DIGITS

    page = reportgen.build_report(DIGITS, created="2026-11-22T10:00:00Z").to_html()
    msg = message_of(page)
    assert msg["Date"] == "Sun, 22 Nov 2026 10:00:00 +0000"
    assert "Created: 2026-11-22T10:00:00Z" in parts(msg)["text"]
    # no creation time (or one that cannot be read): the fixed, documented Unix epoch
    assert UNDATED == "Thu, 01 Jan 1970 00:00:00 +0000"
    assert message_of(pages["digits"])["Date"] == UNDATED
    provenance = dict(record_from_html(page)["provenance"], created="last Tuesday")
    assert message_of(edited(page, provenance=provenance))["Date"] == UNDATED


def test_message_id_is_deterministic_and_unique_per_message(pages: dict[str, str]) -> None:
    def message_id(name: str = "digits", **headers: Any) -> str:
        return str(message_of(pages[name], **headers)["Message-ID"])

    first = message_id(to=["a@example.org"])
    assert first == message_id(to=["a@example.org"])  # the same message, the same id
    assert re.fullmatch(r"<[0-9a-f]{32}\.reportgen@reportgen\.invalid>", first)
    others = {
        message_id("inspection", to=["a@example.org"]),  # another record
        message_id(to=["b@example.org"]),
        message_id(to=["a@example.org"], subject="Another subject"),
        message_id(to=["a@example.org"], sender="ci@example.com"),
    }
    assert first not in others and len(others) == 4
    assert message_id(sender="CI <ci@Example.com>").endswith(".reportgen@Example.com>")
    # a domain that is not plain ASCII would need encoding in the header: the fixed one instead
    assert message_id(sender="ci@exämple.org").endswith("@reportgen.invalid>")
    # a record edited after it was written: another fingerprint, another id
    record = record_from_html(pages["digits"])
    provenance = dict(record["provenance"], fingerprint="0" * 64)
    assert message_id() != str(
        message_of(edited(pages["digits"], provenance=provenance))["Message-ID"]
    )


def test_warnings_name_what_the_written_message_lacks(pages: dict[str, str]) -> None:
    bare = message_of(pages["digits"])
    assert message_warnings(bare, "out/r.eml") == [
        "out/r.eml has no recipient (--to) and no sender (--from); add them before sending it.",
        "out/r.eml is dated 1 January 1970: the report has no creation time; build it with "
        "--created or SOURCE_DATE_EPOCH to date the message.",
    ]
    to_only = message_of(pages["digits"], to=["a@example.org"])
    assert message_warnings(to_only, "r.eml")[0] == (
        "r.eml has no sender (--from); add it before sending it."
    )
    dated = reportgen.build_report(DIGITS_CSV, created="2026-11-22T10:00:00Z").to_html()
    complete = message_of(dated, to=["a@example.org"], sender="ci@example.org")
    assert message_warnings(complete, "r.eml") == []


def test_gates_in_subject_text_and_html(pages: dict[str, str]) -> None:
    failed = message_of(edited(pages["inspection"], gates=GATES))
    assert failed["Subject"].startswith("[gates failed] Finned-tube inspection")
    got = parts(failed)
    assert "CI gates: FAILED (1 of 2 failed)" in got["text"]
    # values in their metric's style: recall and accuracy as percentages
    assert (
        "FAIL  recall[tube_defect] >= 0.8: 72.3% — recall of tube_defect is 0.7234" in (got["text"])
    )
    assert "pass  accuracy >= 0.8: 84.8%" in got["text"]
    assert "1 of 2 gates failed." in got["html"] and "recall[tube_defect] &gt;= 0.8" in got["html"]

    passed = {**GATES, "passed": True, "items": [dict(g, passed=True) for g in GATES["items"]]}
    ok = message_of(edited(pages["inspection"], gates=passed))
    assert not ok["Subject"].startswith("[")
    assert "CI gates: passed (0 of 2 failed)" in parts(ok)["text"]
    assert "All 2 gates passed." in parts(ok)["html"]

    own = message_of(edited(pages["inspection"], gates=GATES), subject="Weekly review")
    assert own["Subject"] == "Weekly review"


def test_gates_may_leave_out_baseline_and_reason(pages: dict[str, str]) -> None:
    bare = [{k: v for k, v in g.items() if k not in ("baseline", "reason")} for g in GATES["items"]]
    got = parts(message_of(edited(pages["cancer"], gates=dict(GATES, items=bare))))
    assert "  FAIL  recall[tube_defect] >= 0.8: 72.3%\n" in got["text"]


def test_a_record_without_summary_still_mails(pages: dict[str, str]) -> None:
    msg = message_of(edited(pages["digits"], summary=None), to="a@example.org")
    assert msg["Subject"] == "Digits: logistic regression" and msg["To"] == "a@example.org"
    assert "Per-class metrics" in parts(msg)["html"]


def test_subject_of_regression_keeps_abbreviations(pages: dict[str, str]) -> None:
    assert message_of(pages["diabetes"])["Subject"] == (
        "Diabetes progression: ridge regression — MAE 44.5, RMSE 54.6"
    )


def test_many_classes_stay_readable_and_small() -> None:
    labels = [f"class_{i:02d}" for i in range(35)]
    y_true = [labels[i % 35] for i in range(1400)]
    y_pred = [labels[(i * 7) % 35] if i % 5 == 0 else labels[i % 35] for i in range(1400)]
    page = reportgen.build_report(pd.DataFrame({"y_true": y_true, "y_pred": y_pred})).to_html()
    got = parts(message_of(page))
    assert got["images"] == {}
    assert "The confusion matrix has 35 classes, too many to read in an email" in got["html"]
    assert "Showing the 30 classes with the lowest F1, lowest first, of 35" in got["html"]
    assert len(got["html"].encode()) < 90_000


def test_twenty_classes_are_drawn_with_short_counts() -> None:
    matrix = [[1500 if i == j else i + j for j in range(20)] for i in range(20)]
    labels = [f"category_{i}" for i in range(20)]
    png = figure_to_png(email_confusion(labels, matrix))
    assert (png.width, png.height) == (560, 520) and png_size(png.data) == (1120, 1040)
    assert uses_compact(20, matrix) and not uses_compact(10, [[1500]])
    assert [compact(n) for n in (999, 1000, 1949, 9950, 999_499, 3_400_000)] == [
        "999",
        "1.0k",
        "1.9k",
        "10k",
        "999k",
        "3.4M",
    ]


def test_labels_from_the_input_are_escaped() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    y_true = ["ok"] * 40 + [hostile] * 40
    y_pred = ["ok"] * 30 + [hostile] * 10 + [hostile] * 30 + ["ok"] * 10
    page = reportgen.build_report(
        pd.DataFrame({"y_true": y_true, "y_pred": y_pred}), title="A & B <i>"
    ).to_html()
    msg = message_of(page)
    html = parts(msg)["html"]
    assert hostile not in html and "&lt;img src=x onerror=" in html
    assert "A &amp; B &lt;i&gt;" in html
    assert msg["Subject"].startswith("A & B <i> — ")
    assert all(tag["src"].startswith("cid:") for tag in img_tags(html))


@pytest.mark.parametrize(
    ("to", "sender", "option"),
    [
        (["not an address"], None, "--to"),
        (["a@example.org", "a@"], None, "--to"),
        (["a@example.org\nBcc: x@example.org"], None, "--to"),
        ([], "ci@", "--from"),
        ([], "a@example.org, b@example.org", "--from"),
    ],
)
def test_bad_addresses_are_refused(
    to: list[str], sender: str | None, option: str, pages: dict[str, str]
) -> None:
    with pytest.raises(ReportgenError, match=f"^{option} "):
        message_of(pages["cancer"], to=to, sender=sender)


def test_several_recipients_in_one_option(pages: dict[str, str]) -> None:
    msg = message_of(pages["cancer"], to=["a@example.org, Bo <b@example.org>", "c@example.org"])
    assert msg["To"] == "a@example.org, Bo <b@example.org>, c@example.org"


def test_not_a_report_is_refused() -> None:
    with pytest.raises(ReportgenError, match=r"out\.html: not a reportgen report"):
        message_of("<html><body>hello</body></html>", report_name="out.html")


def test_write_eml_leaves_nothing_behind_on_failure(pages: dict[str, str], tmp_path: Path) -> None:
    msg = message_of(pages["cancer"])
    with pytest.raises(ReportgenError, match="does not exist"):
        write_eml(msg, tmp_path / "missing" / "review.eml")
    assert list(tmp_path.iterdir()) == []
    write_eml(msg, tmp_path / "review.eml")
    assert [p.name for p in tmp_path.iterdir()] == ["review.eml"]


# ---------------------------------------------------------------- settings


def test_settings_from_the_environment_and_options() -> None:
    env = {
        "REPORTGEN_SMTP_HOST": "mail.example.org",
        "REPORTGEN_SMTP_PORT": "2525",
        "REPORTGEN_SMTP_STARTTLS": "yes",
        "REPORTGEN_SMTP_USER": "ci",
        "REPORTGEN_SMTP_PASSWORD": "s3cret",
    }
    s = smtp_settings(environ=env)
    assert s == SmtpSettings("mail.example.org", 2525, True, False, "ci", "s3cret")
    assert "s3cret" not in repr(s)
    s = smtp_settings(host="relay", port=25, starttls=False, user="bot", environ=env)
    assert (s.host, s.port, s.starttls, s.user, s.password) == ("relay", 25, False, "bot", "s3cret")
    assert smtp_settings(environ={"REPORTGEN_SMTP_HOST": "h"}).effective_port == 25
    assert smtp_settings(ssl=True, environ={"REPORTGEN_SMTP_HOST": "h"}).effective_port == 465
    assert smtp_settings(host="h", starttls=True, environ={}).effective_port == 587


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        ({}, {}, "give --smtp-host or set REPORTGEN_SMTP_HOST"),
        (
            {"host": "h"},
            {"REPORTGEN_SMTP_PORT": "smtp"},
            "REPORTGEN_SMTP_PORT='smtp' is not a port",
        ),
        ({"host": "h", "port": 70000}, {}, "--smtp-port 70000 is not a port"),
        ({"host": "h"}, {"REPORTGEN_SMTP_SSL": "maybe"}, "REPORTGEN_SMTP_SSL='maybe' is not a yes"),
        ({"host": "h", "ssl": True, "starttls": True}, {}, "exclude each other"),
        ({"host": "h", "user": "ci"}, {}, "set REPORTGEN_SMTP_PASSWORD"),
    ],
)
def test_bad_settings_are_explained(
    options: dict[str, Any], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ReportgenError, match=re.escape(message)):
        smtp_settings(**options, environ=env)


# ---------------------------------------------------------------- sending


@pytest.fixture
def message(pages: dict[str, str]) -> EmailMessage:
    return message_of(
        pages["inspection"],
        to=["Reviewer <reviewer@example.org>", "lead@example.org"],
        sender="CI <ci@example.org>",
    )


def test_sent_message_arrives_whole(
    smtp_server: tuple[Inbox, int], message: EmailMessage, pages: dict[str, str]
) -> None:
    inbox, port = smtp_server
    before = message.as_bytes()
    accepted = send_message(message, SmtpSettings(LOOPBACK, port))
    assert accepted == ["reviewer@example.org", "lead@example.org"]
    assert message.as_bytes() == before  # the caller's message is left as it was

    [(mail_from, rcpt_tos, content)] = inbox.received
    assert mail_from == "ci@example.org"
    assert rcpt_tos == ["reviewer@example.org", "lead@example.org"]
    arrived = email.message_from_bytes(content, policy=DEFAULT_POLICY)
    # the report has no creation time: the .eml says 1970, the sent message is dated when sent
    assert message["Date"] == UNDATED and arrived["Date"] != UNDATED
    sent = parsedate_to_datetime(arrived["Date"])
    assert abs(time.time() - sent.timestamp()) < 600
    assert arrived["Message-ID"] == message["Message-ID"]
    assert arrived["Message-ID"].endswith("@example.org>")
    got = parts(arrived)
    # the dev split's rows, which the report describes by default
    assert "Accuracy: 71.2% — 95% CI 62.7–78.4% over 125 rows" in got["text"]
    assert "Rows described: dev split: 125 of 600 rows" in got["text"]
    cids = {t["src"][4:] for t in img_tags(got["html"])}
    assert cids == set(got["images"]) and len(cids) == 2
    assert got["attachment"].get_payload(decode=True) == pages["inspection"].encode("utf-8")


@pytest.mark.parametrize(
    "smtp_server",
    [{"authenticator": check_password, "auth_require_tls": False}],
    indirect=True,
)
def test_login_with_the_password_from_the_environment(
    smtp_server: tuple[Inbox, int], message: EmailMessage
) -> None:
    inbox, port = smtp_server
    env = {"REPORTGEN_SMTP_PASSWORD": "s3cret"}
    settings = smtp_settings(host=LOOPBACK, port=port, user="ci", environ=env)
    assert send_message(message, settings) == ["reviewer@example.org", "lead@example.org"]
    assert len(inbox.received) == 1

    wrong = smtp_settings(
        host=LOOPBACK, port=port, user="ci", environ={"REPORTGEN_SMTP_PASSWORD": "guess"}
    )
    with pytest.raises(ReportgenError) as info:
        send_message(message, wrong)
    assert info.value.message.startswith(f"{LOOPBACK}:{port} refused the login of user 'ci' (535")
    assert "REPORTGEN_SMTP_PASSWORD" in info.value.message
    assert "guess" not in info.value.message
    assert len(inbox.received) == 1


def test_login_where_the_server_offers_none(
    smtp_server: tuple[Inbox, int], message: EmailMessage
) -> None:
    _, port = smtp_server
    settings = SmtpSettings(LOOPBACK, port, user="ci", password="s3cret")
    with pytest.raises(ReportgenError, match="does not offer login"):
        send_message(message, settings)


def test_refused_recipients_are_named(
    smtp_server: tuple[Inbox, int], pages: dict[str, str]
) -> None:
    inbox, port = smtp_server
    every = message_of(pages["cancer"], to=["x@refused.example"], sender="ci@example.org")
    with pytest.raises(ReportgenError) as info:
        send_message(every, SmtpSettings(LOOPBACK, port))
    assert "refused every recipient (x@refused.example: 550 5.1.1 no such mailbox)" in str(
        info.value
    )
    assert inbox.received == []

    some = message_of(
        pages["cancer"], to=["ok@example.org", "y@refused.example"], sender="ci@example.org"
    )
    with pytest.raises(ReportgenError) as info:
        send_message(some, SmtpSettings(LOOPBACK, port))
    assert "refused y@refused.example: 550" in str(info.value)
    assert "the report went only to ok@example.org" in str(info.value)
    assert [rcpt for _, rcpt, _ in inbox.received] == [["ok@example.org"]]


def test_sending_needs_recipients_and_a_sender(pages: dict[str, str]) -> None:
    settings = SmtpSettings(LOOPBACK, free_port())
    with pytest.raises(ReportgenError, match=r"no recipients .* give at least one --to"):
        send_message(message_of(pages["cancer"], sender="ci@example.org"), settings)
    with pytest.raises(ReportgenError, match=r"no sender .* give --from"):
        send_message(message_of(pages["cancer"], to=["a@example.org"]), settings)


def test_connection_refused_names_host_and_port(message: EmailMessage) -> None:
    port = free_port()  # closed again: nothing listens there
    with pytest.raises(ReportgenError) as info:
        send_message(message, SmtpSettings(LOOPBACK, port, timeout=5))
    assert info.value.message.startswith(
        f"cannot connect to the SMTP server at {LOOPBACK}:{port}: connection refused."
    )


def test_a_silent_server_times_out(message: EmailMessage) -> None:
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen()  # the kernel accepts the connection; nobody ever greets
        port = listener.getsockname()[1]
        with pytest.raises(ReportgenError, match=f"{LOOPBACK}:{port} did not answer within 0.5 s"):
            send_message(message, SmtpSettings(LOOPBACK, port, timeout=0.5))


def test_starttls_where_the_server_offers_none(
    smtp_server: tuple[Inbox, int], message: EmailMessage
) -> None:
    inbox, port = smtp_server
    with pytest.raises(ReportgenError, match=f"{LOOPBACK}:{port} does not offer STARTTLS"):
        send_message(message, SmtpSettings(LOOPBACK, port, starttls=True))
    assert inbox.received == []


def test_starttls_and_login_with_a_private_certificate(
    certificate: tuple[Path, Path], message: EmailMessage, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname=LOOPBACK,
        port=port,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=check_password,
    )
    controller.start()
    try:
        env = {"REPORTGEN_SMTP_PASSWORD": "s3cret"}
        settings = smtp_settings(host=LOOPBACK, port=port, starttls=True, user="ci", environ=env)
        # not trusted yet: the message says how to trust a private authority
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0].with_name("none.pem")))
        with pytest.raises(ReportgenError, match=r"starting TLS failed: .*SSL_CERT_FILE"):
            send_message(message, settings)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        assert send_message(message, settings) == ["reviewer@example.org", "lead@example.org"]
    finally:
        controller.stop()
    assert len(inbox.received) == 1


def test_implicit_tls(
    certificate: tuple[Path, Path], message: EmailMessage, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname=LOOPBACK, port=port, ssl_context=server_context(certificate)
    )
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        settings = smtp_settings(host=LOOPBACK, port=port, ssl=True, environ={})
        assert send_message(message, settings) == ["reviewer@example.org", "lead@example.org"]
    finally:
        controller.stop()
    assert len(inbox.received) == 1


# ------------------------------------------------------------------ the email command


def test_email_command_writes_and_sends(
    smtp_server: tuple[Inbox, int], tmp_path: Path, pages: dict[str, str]
) -> None:
    from click.testing import CliRunner

    from reportgen.cli import main

    inbox, port = smtp_server
    report = tmp_path / "digits.html"
    report.write_text(pages["digits"], encoding="utf-8")
    eml = tmp_path / "digits.eml"
    result = CliRunner().invoke(
        main,
        [
            "email",
            str(report),
            "-o",
            str(eml),
            "--to",
            "team@example.com",
            "--from",
            "ci@example.com",
            "--send",
            "--smtp-host",
            LOOPBACK,
            "--smtp-port",
            str(port),
        ],
        env={"REPORTGEN_SMTP_PASSWORD": None, "REPORTGEN_SMTP_USER": None},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"wrote {eml}: the email, the report attached",
        f"sent the email to team@example.com via {LOOPBACK}",
    ]
    # addresses given; only the date is missing (the example report has no creation time)
    assert result.stderr == f"reportgen: warning: {eml} is dated 1 January 1970: " + (
        "the report has no creation time; build it with --created or SOURCE_DATE_EPOCH to "
        "date the message.\n"
    )
    [(sender, rcpts, data)] = inbox.received
    assert sender == "ci@example.com" and rcpts == ["team@example.com"]
    arrived = email.message_from_bytes(data, policy=DEFAULT_POLICY)
    written = email.message_from_bytes(eml.read_bytes(), policy=DEFAULT_POLICY)
    assert arrived["Subject"] == written["Subject"]
    attached = next(p for p in arrived.iter_attachments() if p.get_filename() == "digits.html")
    assert attached.get_content() == pages["digits"]


def test_email_command_needs_something_to_do_and_a_report(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reportgen.cli import main

    page = tmp_path / "page.html"
    page.write_text("<html><body>hello</body></html>", encoding="utf-8")
    result = CliRunner().invoke(main, ["email", str(page)])
    assert result.exit_code == 2 and "-o FILE.eml, --send, or both" in result.output
    result = CliRunner().invoke(main, ["email", str(page), "-o", str(tmp_path / "x.eml")])
    assert result.exit_code == 2 and "not a reportgen report" in result.output
    assert not (tmp_path / "x.eml").exists()
    result = CliRunner().invoke(
        main, ["email", str(page), "--send"], env={"REPORTGEN_SMTP_HOST": None}
    )
    assert result.exit_code == 2 and "--smtp-host" in result.output


def test_email_command_warns_about_missing_addresses(tmp_path: Path, pages: dict[str, str]) -> None:
    from click.testing import CliRunner

    from reportgen.cli import main

    report = tmp_path / "digits.html"
    report.write_text(pages["digits"], encoding="utf-8")
    eml = tmp_path / "digits.eml"
    result = CliRunner().invoke(main, ["email", str(report), "-o", str(eml)])
    assert result.exit_code == 0, result.output  # a warning, not an error
    assert result.stdout == f"wrote {eml}: the email, the report attached\n"
    warnings = result.stderr.splitlines()
    assert warnings[0] == (
        f"reportgen: warning: {eml} has no recipient (--to) and no sender (--from); "
        "add them before sending it."
    )
    assert len(warnings) == 2 and "dated 1 January 1970" in warnings[1]
    written = email.message_from_bytes(eml.read_bytes(), policy=DEFAULT_POLICY)
    assert written["Date"] == UNDATED and written["Message-ID"]
    assert "To" not in written and "From" not in written
