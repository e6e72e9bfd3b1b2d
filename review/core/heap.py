"""Keeping Python's cyclic garbage collector off the long-lived heap during bulk work.

Rendering one appraisal file allocates a few hundred thousand short-lived objects, so the collector
runs its full pass several times a file, and each full pass walks everything the process holds —
the application, its models, SQLAlchemy's registries. Measured on the demo's files: 0.15 s of a
0.85 s file went to the collector; with the heap frozen first, 0.05 s.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze() -> None:
    """Collect once, then exempt every object alive now from later collections (for a process that
    only does bulk work from here on: objects frozen are never examined again, so a cycle among
    them that dies later is never freed)."""
    gc.collect()
    gc.freeze()


@contextmanager
def frozen() -> Iterator[None]:
    """:func:`freeze` for the length of a bulk job in a process that goes on afterwards but does
    nothing else meanwhile (a queue worker, the command line): the objects return to the
    collector's care when the job ends. Not in a thread of a web process: freezing is process-wide,
    and the requests' garbage would be kept until the job ends."""
    freeze()
    try:
        yield
    finally:
        gc.unfreeze()
