"""Send a built message by SMTP: settings from options and REPORTGEN_SMTP_*, readable errors."""

from __future__ import annotations

import copy
import os
import smtplib
import socket
import ssl as tls
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

from reportgen.errors import ReportgenError, quoted


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: server, port, TLS, login (the password never shows in repr)."""

    host: str
    port: int | None = None
    starttls: bool = False
    ssl: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @property
    def effective_port(self) -> int:
        """The port given, or the usual one: 465 for SSL, 587 for STARTTLS, else 25."""
        return self.port or (465 if self.ssl else 587 if self.starttls else 25)


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise ReportgenError(
            f"{name}={quoted(environ[name])} is not a yes or no: give 1/true/yes or 0/false/no."
        )
    return value in _TRUE


def smtp_settings(
    *,
    host: str | None = None,
    port: int | None = None,
    starttls: bool | None = None,
    ssl: bool | None = None,
    user: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> SmtpSettings:
    """Combine options and REPORTGEN_SMTP_* variables (options win); the password is env-only."""
    host = (host or environ.get("REPORTGEN_SMTP_HOST", "")).strip()
    if not host:
        raise ReportgenError(
            "no SMTP server to send through: give --smtp-host or set REPORTGEN_SMTP_HOST "
            "(and --smtp-port or REPORTGEN_SMTP_PORT if it is not the usual port)."
        )
    if port is None and environ.get("REPORTGEN_SMTP_PORT", "").strip():
        text = environ["REPORTGEN_SMTP_PORT"].strip()
        if not text.isdigit():
            raise ReportgenError(
                f"REPORTGEN_SMTP_PORT={quoted(text)} is not a port number (1 to 65535)."
            )
        port = int(text)
    if port is not None and not 0 < port < 65536:
        raise ReportgenError(f"--smtp-port {port} is not a port number: give 1 to 65535.")
    use_starttls = _flag(environ, "REPORTGEN_SMTP_STARTTLS") if starttls is None else starttls
    use_ssl = _flag(environ, "REPORTGEN_SMTP_SSL") if ssl is None else ssl
    if use_starttls and use_ssl:
        raise ReportgenError(
            "--ssl and --starttls (or REPORTGEN_SMTP_SSL and REPORTGEN_SMTP_STARTTLS) "
            "exclude each other: SSL is for servers that speak TLS from the start (port 465), "
            "STARTTLS for servers that upgrade a plain connection (port 587)."
        )
    login = (user or environ.get("REPORTGEN_SMTP_USER", "")).strip() or None
    password = environ.get("REPORTGEN_SMTP_PASSWORD") or None
    if login and password is None:
        raise ReportgenError(
            f"--smtp-user {quoted(login)} needs a password: set REPORTGEN_SMTP_PASSWORD (the "
            "password is read only from the environment, never from an option)."
        )
    return SmtpSettings(host, port, use_starttls, use_ssl, login, password)


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope sender and recipients, from the message's From, To and Cc."""
    senders = [addr for _, addr in getaddresses([str(v) for v in message.get_all("From", [])])]
    recipients = [
        addr
        for _, addr in getaddresses(
            [str(v) for name in ("To", "Cc") for v in message.get_all(name, [])]
        )
        if addr
    ]
    if not recipients:
        raise ReportgenError("no recipients to send the report to: give at least one --to address.")
    if not senders or not senders[0]:
        raise ReportgenError("no sender for the email: give --from name@example.org.")
    return senders[0], list(dict.fromkeys(recipients))


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr}: {_reply(code, text)}" for addr, (code, text) in refused.items())


def send_message(message: EmailMessage, settings: SmtpSettings) -> list[str]:
    """Send over SMTP; return the recipients the server accepted, or raise ReportgenError."""
    sender, recipients = _envelope(message)
    if settings.user and settings.password is None:
        raise ReportgenError("an SMTP user needs a password: set REPORTGEN_SMTP_PASSWORD.")
    from reportgen.deliver.mail import UNDATED

    outgoing = copy.deepcopy(message)
    if "Date" not in outgoing:
        outgoing["Date"] = formatdate(usegmt=True)
    elif outgoing["Date"] == UNDATED:  # the report has no creation time: the message is sent now
        outgoing.replace_header("Date", formatdate(usegmt=True))
    if "Message-ID" not in outgoing:
        outgoing["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    where = f"{settings.host}:{settings.effective_port}"
    step = "connecting"
    try:
        context = tls.create_default_context()
        smtp: smtplib.SMTP
        if settings.ssl:
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.effective_port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.effective_port, timeout=settings.timeout)
        with smtp:
            if settings.starttls:
                step = "starting TLS"
                smtp.starttls(context=context)
            if settings.user:
                step = "logging in"
                smtp.login(settings.user, settings.password or "")
            step = "sending"
            refused = smtp.send_message(outgoing, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise ReportgenError(
            f"{where} refused the login of user {quoted(settings.user)} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}): check --smtp-user and "
            "REPORTGEN_SMTP_PASSWORD."
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        if step == "starting TLS":
            raise ReportgenError(
                f"{where} does not offer STARTTLS: leave out --starttls, or use --ssl "
                "if the server speaks TLS from the start (usually port 465)."
            ) from exc
        if step == "logging in":
            raise ReportgenError(
                f"{where} does not offer login (AUTH) on this connection: many servers offer it "
                "only after --starttls or over --ssl; or leave out --smtp-user."
            ) from exc
        raise ReportgenError(f"{where}: {step} failed: {exc}; the report was not sent.") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise ReportgenError(
            f"{where} refused every recipient ({_refusals(exc.recipients)}); nothing was sent."
        ) from exc
    except smtplib.SMTPSenderRefused as exc:
        raise ReportgenError(
            f"{where} refused the sender {quoted(exc.sender)} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}): "
            "give a --from address the server accepts for this login; nothing was sent."
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise ReportgenError(
            f"{where} answered {_reply(exc.smtp_code, exc.smtp_error)} while {step}; "
            "the report was not sent."
        ) from exc
    except smtplib.SMTPServerDisconnected as exc:
        if not isinstance(exc.__context__, TimeoutError):
            raise ReportgenError(
                f"{where} closed the connection while {step}: {exc}; the report was not sent."
            ) from exc
        raise ReportgenError(
            f"{where} did not answer within {settings.timeout:g} s while {step}: check the host "
            "and port, and whether the server expects --ssl (port 465)."
        ) from exc
    except (smtplib.SMTPException, tls.SSLError) as exc:
        hint = (
            " If the server's certificate is signed by a private authority, point SSL_CERT_FILE "
            "at that authority's certificate."
            if isinstance(exc, tls.SSLCertVerificationError)
            else ""
        )
        raise ReportgenError(
            f"{where}: {step} failed: {exc}; the report was not sent.{hint}"
        ) from exc
    except socket.gaierror as exc:
        raise ReportgenError(
            f"cannot find the SMTP server {quoted(settings.host)} ({exc.strerror}): check "
            "--smtp-host or REPORTGEN_SMTP_HOST."
        ) from exc
    except TimeoutError as exc:
        raise ReportgenError(
            f"{where} did not answer within {settings.timeout:g} s while {step}: check the host "
            "and port, and whether the server expects --ssl (port 465)."
        ) from exc
    except ConnectionRefusedError as exc:
        raise ReportgenError(
            f"cannot connect to the SMTP server at {where}: connection refused. Check "
            "--smtp-host and --smtp-port (REPORTGEN_SMTP_HOST, REPORTGEN_SMTP_PORT) and that the "
            "server is running."
        ) from exc
    except OSError as exc:
        raise ReportgenError(
            f"{where}: {step} failed: {exc.strerror or exc}; the report was not sent."
        ) from exc
    if refused:
        raise ReportgenError(
            f"{where} refused {_refusals(refused)}; the report went only to "
            f"{', '.join(r for r in recipients if r not in refused)}."
        )
    return recipients
