"""``reciprocity screenshots``: the pictures in the README, taken from the demo data.

By default the command never touches your database: it loads the demo into a throwaway SQLite
database in a temporary folder, serves it with ``reciprocity serve`` on a free local port, signs
in as the demo advisor in Debian's Chromium (driven by Playwright, a development dependency) and
saves one PNG per page. With ``--base-url`` it photographs a server that is already running with
the demo data instead.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reciprocity.site.demo.book import DEMO_PASSWORD, DEMO_USERNAME

DEFAULT_OUTPUT = Path("docs/screenshots")
# The same flags the browser tests use: headless, sandboxed by the container, no network chatter.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SERVER_START_SECONDS = 120
WAIT_MS = 30_000

NO_CHROMIUM = (
    "Chromium is not installed; on Debian or Ubuntu: apt-get install chromium "
    "(`make test` installs it)."
)
NO_PLAYWRIGHT = (
    "Playwright is missing: it is a development dependency; install them with `uv sync`."
)
BAD_BASE_URL = (
    "--base-url must be an http:// or https:// address, for example http://127.0.0.1:8000"
)
OUTPUT_NOT_A_FOLDER = "--output {output} exists and is not a folder."
SERVER_DID_NOT_START = "The demo server did not answer on {url} within {seconds}s.\n{log}"
STEP_FAILED = "`reciprocity {step}` failed:\n{log}"


@dataclass(frozen=True)
class Shot:
    """One picture: which page, at which size, and how to find it from the signed-in board."""

    filename: str
    open: Callable[[Any], bool]  # goes to the page; False when the page does not exist here
    viewport: dict[str, int]
    optional: bool = False  # a page of later versions: skipped, with a note, where missing


def _goto(path: str) -> Callable[[Any], bool]:
    def open_page(page: Any) -> bool:
        response = page.goto(path)
        return response is not None and response.ok

    return open_page


def _a_champion(page: Any) -> bool:
    """The page of a partner in the Champion column: the richest history in the demo."""
    page.goto("/pipeline/")
    link = page.locator(".column[data-stage=champion] .card__name").first
    if link.count() == 0:
        return False
    link.click()
    page.locator(".timeline").wait_for()
    return True


def _a_sent_referral(page: Any) -> bool:
    """A referral the advisor sent, with its protocol steps (where this version has them)."""
    response = page.goto("/referrals/?direction=sent")
    if response is None or not response.ok:
        return False
    link = page.locator("#results tbody a[href^='/referrals/']").first
    if link.count() == 0:
        return False
    link.click()
    page.wait_for_load_state()
    return True


def _an_agreement(page: Any) -> bool:
    """The agreement of a champion partner, when the partner page links to one."""
    if not _a_champion(page):
        return False
    link = page.get_by_role("link", name=re.compile("agreement", re.IGNORECASE)).first
    if link.count() == 0:
        return False
    link.click()
    page.wait_for_load_state()
    return True


def _phone_menu(page: Any) -> bool:
    """The board on a phone with the header's menu opened."""
    page.goto("/pipeline/")
    button = page.locator(".menu-button")
    if button.count() == 0:
        return False
    button.click()
    return True


def _search(page: Any) -> bool:
    response = page.goto("/search/?q=estate")
    return response is not None and response.ok


SHOTS = [
    Shot("board.png", _goto("/pipeline/"), DESKTOP),
    Shot("partner.png", _a_champion, DESKTOP),
    Shot("agenda.png", _goto("/agenda/"), DESKTOP),
    Shot("dashboard.png", _goto("/dashboard/"), DESKTOP),
    Shot("phone-board.png", _goto("/pipeline/"), PHONE),
    Shot("referral-protocol.png", _a_sent_referral, DESKTOP, optional=True),
    Shot("agreement.png", _an_agreement, DESKTOP, optional=True),
    Shot("phone-menu.png", _phone_menu, PHONE, optional=True),
    Shot("search.png", _search, DESKTOP, optional=True),
]
# The weekly email is no page: rendered by `reciprocity digest --html` from the throwaway demo.
EMAIL_SHOT = "weekly-email.png"
EMAIL_VIEWPORT = {"width": 700, "height": 900}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (our own server)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def throwaway_environment(data: Path) -> dict[str, str]:
    """The environment of the demo server: everything in ``data``, whatever yours says."""
    return {
        **os.environ,
        "RECIPROCITY_MODE": "local",
        "RECIPROCITY_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'reciprocity.sqlite3'}",
        "STATIC_ROOT": str(data / "static"),
        "DEBUG": "",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


class Command(BaseCommand):
    help = (
        "Save the README's screenshots (board, partner, agenda, phone board and menu, search, "
        "the weekly email; a referral's protocol and an agreement where those pages exist) "
        "from the demo data, in a throwaway database, with Debian's Chromium."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=DEFAULT_OUTPUT,
            help=f"folder for the PNG files ({DEFAULT_OUTPUT})",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="photograph this running server (with the demo data) instead of starting one",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be done, and do nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        base_url: str = options["base_url"].rstrip("/")
        if base_url and not base_url.startswith(("http://", "https://")):
            raise CommandError(BAD_BASE_URL)
        if output.exists() and not output.is_dir():
            raise CommandError(OUTPUT_NOT_A_FOLDER.format(output=output))
        chromium = shutil.which("chromium")
        if chromium is None:
            raise CommandError(NO_CHROMIUM)
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            raise CommandError(NO_PLAYWRIGHT) from error

        source = base_url or "the demo data in a throwaway SQLite database, served on a free port"
        self.stdout.write(f"Screenshots of {source}, signed in as {DEMO_USERNAME!r}:")
        for shot in SHOTS:
            where = ", if this version has the page" if shot.optional else ""
            self.stdout.write(f"  {output / shot.filename} ({shot.viewport['width']} wide{where})")
        if not base_url:
            self.stdout.write(f"  {output / EMAIL_SHOT} (the demo advisor's weekly email)")
        if options["dry_run"]:
            return

        output.mkdir(parents=True, exist_ok=True)
        with self._server(base_url) as (url, email), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                for shot in SHOTS:
                    self._take(browser, url, shot, output)
                if email:
                    self._take_email(browser, email, output)
            finally:
                browser.close()

    def _take_email(self, browser: Any, html: str, output: Path) -> None:
        context = browser.new_context(viewport=EMAIL_VIEWPORT)
        try:
            page = context.new_page()
            page.set_content(html)
            path = output / EMAIL_SHOT
            page.screenshot(path=path, full_page=True, animations="disabled")
            self.stdout.write(f"  saved {path} ({path.stat().st_size // 1024} KiB)")
        finally:
            context.close()

    def _take(self, browser: Any, url: str, shot: Shot, output: Path) -> None:
        context = browser.new_context(base_url=url, viewport=shot.viewport)
        context.set_default_timeout(WAIT_MS)
        try:
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("input[name=login]", DEMO_USERNAME)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/pipeline/")
            if not shot.open(page):
                self.stdout.write(f"  skipped {shot.filename}: that page does not exist here")
                return
            page.wait_for_load_state("networkidle")
            path = output / shot.filename
            page.screenshot(path=path, animations="disabled", caret="hide")
            self.stdout.write(f"  saved {path} ({path.stat().st_size // 1024} KiB)")
        finally:
            context.close()

    @contextmanager
    def _server(self, base_url: str) -> Iterator[tuple[str, str]]:
        """The address to photograph: the given one, or a demo server started for the purpose;
        and, for the demo server, the demo advisor's weekly email (HTML)."""
        if base_url:
            yield base_url, ""
            return
        with tempfile.TemporaryDirectory(prefix="reciprocity-screenshots-") as folder:
            data = Path(folder)
            env = throwaway_environment(data)
            log = data / "server.log"
            for step in (
                ["migrate", "--noinput"],
                ["demo"],
                ["collectstatic", "--noinput"],
            ):
                self.stdout.write(f"reciprocity {' '.join(step)}")
                with log.open("w") as out:
                    done = subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
                        [sys.executable, "-m", "reciprocity", *step],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        check=False,
                    )
                if done.returncode != 0:
                    raise CommandError(STEP_FAILED.format(step=step[0], log=_tail(log)))
            email = subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
                [sys.executable, "-m", "reciprocity", "digest", "--user", DEMO_USERNAME, "--html"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            # The command prints the To and Subject lines before the message.
            email = email[email.find("<") :] if "<" in email else ""

            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            with log.open("w") as out:
                server = subprocess.Popen(  # noqa: S603  (our own interpreter, fixed arguments)
                    [
                        sys.executable,
                        "-m",
                        "reciprocity",
                        "serve",
                        "--port",
                        str(port),
                        "--workers",
                        "2",
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + SERVER_START_SECONDS
                while not _answers(f"{url}/health/"):
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise CommandError(
                            SERVER_DID_NOT_START.format(
                                url=url, seconds=SERVER_START_SECONDS, log=_tail(log)
                            )
                        )
                    time.sleep(0.5)
                self.stdout.write(f"Serving the demo on {url}")
                yield url, email
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
