"""gunicorn reads this file from the working directory; `make run`, the benches and the e2e test
all start gunicorn here. Settings given on the command line still win."""

import gc


def post_worker_init(worker):
    # Everything imported so far (Flask, SQLAlchemy, marshmallow, pandas: ~200,000 objects)
    # lives as long as the worker. Frozen, the collector stops scanning it: its first full
    # collection otherwise stalls every request in the worker for 150-300 ms.
    gc.collect()
    gc.freeze()
