"""The adapter's clock. ready.setup_seconds and done.seconds count from
START, taken when this module is first imported: the entry imports it before
anything else, so that imports (torch's above all) are counted, and only the
interpreter's own start-up is not."""

import time

START = time.perf_counter()

# clock is the wall clock for intervals (steps, epochs, evaluation).
clock = time.perf_counter


def since_start():
    """Seconds since the adapter started."""
    return clock() - START


def since(t0):
    """Seconds since t0, a value of clock()."""
    return clock() - t0
