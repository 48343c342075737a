"""gunicorn reads this file from the working directory; `make run`, the benches and the e2e test
all start gunicorn here. Settings given on the command line still win.

The layout is the one docs/performance.md measures: 2 x cores + 1 sync workers (gunicorn's own
rule of thumb; 5 on 2 cores). Each sync worker takes the next request off the shared accept
queue, so concurrent clients spread evenly. ``WORKERS`` overrides the count."""

import gc
import os


def _cores() -> int:
    # What `nproc` counts: the cores this process may run on (a container's share), not the host's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


workers = int(os.environ.get("WORKERS") or 2 * _cores() + 1)
worker_class = "sync"
# gunicorn's largest request line (its default is 4094). Every query the API documents fits in
# it even with each text parameter at its maxLength in 4-byte UTF-8, percent-encoded; under the
# default such a request got gunicorn's own 414 page (text/html) instead of the API's 422 problem.
limit_request_line = 8190


def post_worker_init(worker):
    # Everything imported so far (Flask, SQLAlchemy, marshmallow, pandas: ~200,000 objects)
    # lives as long as the worker. Frozen, the collector stops scanning it: its first full
    # collection otherwise stalls every request in the worker for 150-300 ms.
    gc.collect()
    gc.freeze()
