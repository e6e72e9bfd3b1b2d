"""Bulk jobs keep the collector off the long-lived heap, and give it back when they end."""
import gc

from review.core import heap


def test_a_job_in_a_process_that_goes_on_unfreezes_what_it_froze():
    assert gc.get_freeze_count() == 0
    kept = [object() for _ in range(10)]
    with heap.frozen():
        # Everything alive when the job started is out of the collector's way while it runs.
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_unfreezes_when_the_job_fails():
    try:
        with heap.frozen():
            raise RuntimeError("render failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0
