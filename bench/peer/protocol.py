"""The measuring side of the peer comparison, shared by both sides' workers: each side runs in its
own process (its own virtual environment and database) and answers requests from
``bench/peer.py`` one line at a time, so that the two can be measured interleaved.

A request is a JSON line ``{"url": ..., "capture": bool}``; the answer is a JSON line with the
status, the response's size, the server time in milliseconds (Django's test client, in-process)
and, when asked to capture, the number of queries. Queries are counted on a request of their own
and the timed requests run without the capture, as in ``bench/measure.py``. Only the standard
library and Django are used: the peer's environment has no more in common with ours.
"""

import json
import sys
import time
from typing import Any


def serve(client: Any, headers: dict[str, str], info: dict[str, Any]) -> None:
    """Answer requests on standard input until it closes; the first line out is ``info``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        url = request["url"]
        if request.get("capture"):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, **headers)
            answer = {"queries": len(captured.captured_queries)}
        else:
            started = time.perf_counter()
            response = client.get(url, **headers)
            answer = {"ms": (time.perf_counter() - started) * 1000}
        answer |= {"status": response.status_code, "bytes": len(response.content)}
        print(json.dumps(answer), flush=True)
