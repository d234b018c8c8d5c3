"""The suite's walker, alone in a process, walking a whole collection; its peak memory is the process's.

Reads ``{"base_url", "key", "page_size"}`` on stdin (the key never on a command line) and prints
one JSON line: seconds, requests sent, pages, items and peak RSS in MiB.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import peak_rss_mb

from conformance.checks.walk_invariants import check_complete
from conformance.checks.walk_model import Query
from conformance.checks.walker import walk
from conformance.contract.facts import AUDIENCES_PATH
from conformance.http.adapter import Origin, RequestPolicy
from conformance.http.target import Target


def main() -> None:
    spec = json.loads(sys.stdin.readline())
    policy = RequestPolicy(origin=Origin.of(spec["base_url"]), timeout=30.0)
    target = Target(spec["base_url"], spec["key"], policy)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    walked = walk(target, Query(AUDIENCES_PATH, spec["page_size"]), retain=False)
    check_complete(walked)
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "requests": target.adapter.requests_sent,
        "pages": walked.page_count,
        "items": walked.count,
        "total": walked.total,
        "rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
    }
    target.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
