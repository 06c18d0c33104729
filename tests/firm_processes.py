"""Starting and talking to real `reciprocity serve` and `reciprocity worker` processes, for the
tests that run a firm's deployment on one machine."""

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
HOST = "coi.test"


def database_url(name: str | None = None) -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name or db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    check: Callable[[], object], *, timeout: float, what: str, firm: "Processes | None" = None
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    printed = firm.output() if firm else ""
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}\n{printed}")


@dataclass
class Response:
    status: int
    body: str
    cookies: dict[str, str]
    location: str


def call(
    port: int,
    method: str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    json_body: str | None = None,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """One request as the reverse proxy passes it on: the public host name, HTTPS."""
    sent = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
    body: str | None = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent["Origin"] = f"https://{HOST}"
    elif json_body is not None:
        body = json_body
        sent["Content-Type"] = "application/json"
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        jar: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return Response(
            status=response.status,
            body=response.read().decode(),
            cookies={key: morsel.value for key, morsel in jar.items()},
            location=response.getheader("Location") or "",
        )
    finally:
        conn.close()


def answers(port: int, path: str = "/health/") -> bool:
    try:
        return call(port, "GET", path).status == 200
    except OSError:
        return False


@dataclass
class Processes:
    """The processes a test started; all are stopped at the end."""

    env: dict[str, str]
    logs: Path
    started: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        # Output goes to a file: a pipe nobody reads would fill up and stall the process.
        log = self.logs / f"process-{len(self.started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [sys.executable, *args],
                cwd=ROOT,
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.started.append(process)
        return process

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "reciprocity", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def server(self, **env: str) -> int:
        port = free_port()
        self.start("-m", "reciprocity", "serve", "--port", str(port), "--workers", "2", **env)
        return port

    def wait_until_serving(self, port: int) -> None:
        def serving() -> bool:
            if any(p.poll() is not None for p in self.started if str(port) in map(str, p.args)):
                raise AssertionError(f"The server on {port} stopped:\n{self.output()}")
            return answers(port)

        # Generous: a loaded machine takes a while to start a dozen Python processes.
        wait_for(serving, timeout=60, what=f"the server on {port}", firm=self)

    def worker(self, worker_id: str) -> subprocess.Popen[str]:
        return self.start(
            "-m", "reciprocity", "worker", "--worker-id", worker_id, "--interval", "0.2"
        )

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def output(self) -> str:
        """What the processes printed, for a failing assertion."""
        return "\n".join(
            f"--- {' '.join(map(str, p.args))}\n"
            + (self.logs / f"process-{n}.log").read_text()[-3000:]
            for n, p in enumerate(self.started)
        )


def clean_environment() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
        and not key.startswith("PYTEST")
    }
