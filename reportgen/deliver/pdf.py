"""Print a report to PDF with headless Chromium, the same pages as a browser's Save as PDF."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from reportgen.deliver.files import check_writable, write_bytes_atomic
from reportgen.errors import ReportgenError

ENV_VAR = "REPORTGEN_CHROMIUM"
BROWSER_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
)
# Headless printing of a local, self-contained file: no header and footer lines (old and new
# spelling: Chromium ignores switches it does not know), a PDF outline from the headings, and
# nothing that talks to the network (the page's CSP already refuses every load but data: URIs).
CHROMIUM_ARGS = (
    "--headless",
    "--disable-gpu",
    "--no-pdf-header-footer",
    "--print-to-pdf-no-header",
    "--generate-pdf-document-outline",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--mute-audio",
    "--disable-dev-shm-usage",
)
INSTALL_HINT = (
    "Install it (Debian/Ubuntu: `apt install chromium`; macOS: `brew install --cask chromium`) "
    f"or set {ENV_VAR} to a Chrome or Chromium binary."
)
STDERR_TAIL = 2000


def find_chromium(environ: Mapping[str, str] = os.environ) -> str | None:
    """Return the Chromium to print with: $REPORTGEN_CHROMIUM, else the first browser on PATH."""
    search_path = environ.get("PATH", os.defpath)
    chosen = environ.get(ENV_VAR, "").strip()
    if chosen:
        found = shutil.which(chosen, path=search_path)
        if found is None:
            raise ReportgenError(
                f"{ENV_VAR} is set to '{chosen}', which is not an executable file. "
                "Point it to a Chrome or Chromium binary, or unset it to search PATH."
            )
        return found
    for name in BROWSER_NAMES:
        found = shutil.which(name, path=search_path)
        if found is not None:
            return found
    return None


def _command(chromium: str, url: str, pdf: Path, profile: str) -> list[str]:
    """Build the headless Chromium command line that prints url to pdf."""
    args = [chromium, *CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}"]
    # Chromium's sandbox refuses to start as root; for anyone else keep it on.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return [*args, url]


def _tail(stderr: bytes) -> str:
    """Return the end of a browser's stderr as readable text."""
    text = stderr.decode("utf-8", errors="replace").strip()
    if not text:
        return "(it wrote nothing to stderr)"
    if len(text) > STDERR_TAIL:
        text = "…" + text[-STDERR_TAIL:]
    return text


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run the browser; on timeout kill it and all its helper processes, then raise."""
    # A session of its own, so a timeout can end the renderer and GPU helpers too.
    new_session = hasattr(os, "killpg")
    with subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=new_session,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            if new_session:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            _, stderr = proc.communicate()
            raise subprocess.TimeoutExpired(command, timeout, stderr=stderr) from None
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def write_pdf(
    html_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    *,
    chromium: str | None = None,
    timeout: float = 120.0,
) -> None:
    """Print a report page to a PDF file with headless Chromium, atomically."""
    source = Path(html_path)
    if not source.is_file():
        raise ReportgenError(f"{source}: no such report to print as PDF.")
    check_writable(pdf_path)
    target = Path(pdf_path)
    browser = chromium if chromium is not None else find_chromium()
    if browser is None:
        raise ReportgenError(
            f"{target}: Chromium is needed for --pdf and none was found. {INSTALL_HINT} "
            f"The HTML report was written ({source}): opening it in any browser and choosing "
            "Print → Save as PDF gives the same pages."
        )
    # Chromium prints into a folder of our own; the PDF then goes where every output goes,
    # atomically (or into a device or FIFO as it is), by the one writer all outputs share
    with tempfile.TemporaryDirectory(
        prefix="reportgen-chromium-", ignore_cleanup_errors=True
    ) as work:
        tmp = Path(work) / "print.pdf"
        profile = str(Path(work) / "profile")
        command = _command(browser, source.resolve().as_uri(), tmp, profile)
        try:
            done = _run(command, timeout)
        except subprocess.TimeoutExpired as exc:
            raise ReportgenError(
                f"{target}: Chromium ({browser}) did not finish printing {source} within "
                f"{timeout:g} s. Its last messages:\n{_tail(exc.stderr or b'')}"
            ) from None
        except OSError as exc:
            raise ReportgenError(
                f"{target}: cannot start Chromium ({browser}): {exc.strerror}. {INSTALL_HINT}"
            ) from exc
        try:
            data = tmp.read_bytes()
        except OSError:
            data = b""
        if done.returncode != 0 or not data.startswith(b"%PDF-"):
            what = f"exited with code {done.returncode}" if done.returncode else "wrote no PDF"
            raise ReportgenError(
                f"{target}: Chromium ({browser}) {what} while printing {source}. "
                f"Its last messages:\n{_tail(done.stderr)}"
            )
    write_bytes_atomic(pdf_path, data)
