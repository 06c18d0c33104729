"""``reciprocity mail-in serve --port N`` and ``reciprocity mail-in read``: emails logged by
themselves, received by SMTP or from an MTA's pipe (one raw message on standard input)."""

import signal
import sys
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError, CommandParser

from reciprocity.accounts.cli import ProductCommand
from reciprocity.integrations.mail.parsing import MailRefused
from reciprocity.integrations.services import mail_receive

# An MTA's pipe reads the exit status as sysexits.h does: a refusal bounces, it is not retried.
EX_DATAERR = 65


class Command(ProductCommand):
    help = "Receive emails to log: an SMTP server (serve), or one message on stdin (read)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        serve: ArgumentParser = actions.add_parser("serve", help="listen for SMTP")
        serve.add_argument("--port", type=int, default=2525)
        serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
        actions.add_parser("read", help="log one raw message read from standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "read":
            self._read()
        else:
            self._serve(options["host"], options["port"])

    def _read(self) -> None:
        try:
            result = mail_receive(raw=sys.stdin.buffer.read())
        except MailRefused as refused:
            self.stderr.write(f"Refused: {refused}")
            sys.exit(EX_DATAERR)
        self.stdout.write(f"Logged: {result}.")

    def _serve(self, host: str, port: int) -> None:
        from reciprocity.integrations.smtp import mail_in_controller

        controller = mail_in_controller(host=host, port=port)
        try:
            controller.start()
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from error
        self.stdout.write(f"Receiving mail to log on smtp://{host}:{port}/ (Ctrl+C stops).")
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
