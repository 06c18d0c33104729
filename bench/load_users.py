"""The load test's clients (a locustfile, run by ``bench/load.py``): an advisor's day on the web
and the API, reads and writes mixed.

Each client reads the partner list, a partner's page, the board and the agenda (signed in with a
session), lists partners in the API and writes through it with a token of its own: logs a touch,
creates a partner, moves a stage. Every write carries a unique mark (a touch's summary, a
partner's name) so that the database can be checked afterwards against the writes that
succeeded: nothing lost, nothing doubled. A client moves only partners of its own share, so two
clients never race for the same card (a move to the stage a partner already has is refused,
rightly).

The setup (``LOAD_SETUP``, JSON written by ``bench/load.py --prepare``) gives the tokens, the
session cookie and the partners; the marks of the writes that succeeded go to ``LOAD_WRITES``.
"""

import itertools
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

SETUP: dict[str, Any] = json.loads(Path(os.environ["LOAD_SETUP"]).read_text())
WRITES: dict[str, list[Any]] = {"touch": [], "partner": [], "stage": []}
STAGES = ["identified", "qualified", "first_meeting", "due_diligence", "proposed", "active"]
_numbers = itertools.count()


@events.test_stop.add_listener
def _keep_writes(**_kwargs: Any) -> None:
    Path(os.environ["LOAD_WRITES"]).write_text(json.dumps(WRITES))


class Advisor(HttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.rng = random.Random(self.number)
        token = SETUP["tokens"][self.number % len(SETUP["tokens"])]
        self.api = {"Authorization": f"Bearer {token}"}
        self.web = {"Cookie": f"{SETUP['session_cookie']}={SETUP['session']}"}
        # This client's own share of partners to move, and the stage each is at.
        self.mine = dict(SETUP["movable"][self.number % len(SETUP["movable"])])

    def _partner(self) -> int:
        return self.rng.choice(SETUP["partners"])

    def _write(
        self,
        path: str,
        body: dict[str, Any],
        name: str,
        kind: str,
        mark: Any,
        ok: tuple[int, ...] = (201,),
    ) -> bool:
        """A write through the API; its mark is kept under WRITES[kind] when it succeeds."""
        with self.client.post(
            f"/api/v1/{path}", json=body, headers=self.api, name=name, catch_response=True
        ) as response:
            if response.status_code in ok:
                WRITES[kind].append(mark)
                response.success()
                return True
            response.failure(f"{response.status_code}: {response.text[:200]}")
            return False

    @task(4)
    def partner_list(self) -> None:
        self.client.get("/partners/", headers=self.web, name="web: partner list")

    @task(4)
    def partner_page(self) -> None:
        self.client.get(f"/partners/{self._partner()}/", headers=self.web, name="web: partner page")

    @task(2)
    def board(self) -> None:
        self.client.get("/pipeline/", headers=self.web, name="web: board")

    @task(2)
    def agenda(self) -> None:
        self.client.get("/agenda/", headers=self.web, name="web: agenda")

    @task(4)
    def api_partners(self) -> None:
        self.client.get("/api/v1/partners?limit=25", headers=self.api, name="API: partners")

    @task(3)
    def log_touch(self) -> None:
        mark = f"load {uuid.uuid4().hex}"
        body = {"kind": "call", "summary": mark}
        self._write(f"partners/{self._partner()}/touches", body, "API: log a touch", "touch", mark)

    @task(1)
    def create_partner(self) -> None:
        mark = f"Load {uuid.uuid4().hex}"
        body = {"name": mark, "profession": "cpa", "organization": "Load & Co"}
        self._write("partners", body, "API: create a partner", "partner", mark)

    @task(2)
    def move_stage(self) -> None:
        partner, stage = self.rng.choice(sorted(self.mine.items()))
        to = self.rng.choice([s for s in STAGES if s != stage])
        moved = [int(partner), to]
        path, name = f"partners/{partner}/stage", "API: move a stage"
        # The moves measure the writes, not the qualification: a generated partner may fail its
        # questions, and a move to qualified would then be refused, rightly.
        body = {"stage": to, "qualify_anyway": True}
        if self._write(path, body, name, "stage", moved, ok=(200, 201)):
            self.mine[partner] = to
