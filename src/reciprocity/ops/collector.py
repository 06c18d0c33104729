"""Python's garbage collector in a process that serves requests.

A worker holds many long-lived objects: the URL patterns, the compiled templates, the models'
metadata, the statements compiled once. Each of Python's full collections walks every one of
them, tens of milliseconds, and a page that makes many objects (a big book's diagnoses) sets
off several: the slowest answers were slow mostly for that. Once the worker has served its
first request, what it still holds is moved out of the collector's walks (``gc.freeze``);
again after 10, 100 and 1,000 requests, as pages not served yet add their own templates. The
garbage is collected first, so none is kept, and the work is done once the answer has gone.
"""

import gc
import threading
from collections.abc import Collection
from typing import Any

from django.core.signals import request_finished

FREEZE_AFTER = (1, 10, 100, 1000)
DISPATCH_UID = "reciprocity.ops.collector"


class _Warming:
    """Counts the requests served, and freezes what the process holds after some of them."""

    def __init__(self, after: Collection[int]) -> None:
        self.after = frozenset(after)
        self.served = 0
        self.lock = threading.Lock()

    def __call__(self, **kwargs: Any) -> None:
        with self.lock:
            self.served += 1
            due = self.served in self.after
        if due:
            gc.collect()
            gc.freeze()


def freeze_once_warm(after: Collection[int] = FREEZE_AFTER) -> None:
    """Leave what the process holds out of the collector's walks after its ``after``-th
    requests (connected once, whoever calls it again)."""
    request_finished.connect(_Warming(after), weak=False, dispatch_uid=DISPATCH_UID)
