"""A fork-based process pool: workers inherit the parent's state instead of unpickling it.

Used for the CPU-heavy stages of a large build (validating and rendering hundreds of
decks). Forking a process that runs threads is unsafe, so the preview server, which
does, always passes ``jobs=1``. :mod:`multiprocessing` is imported only when a pool is
about to start: it takes ~9 ms, which a rebuild after a small edit never needs.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import multiprocessing.pool

PARALLEL_MIN = 24  # below this many items a pool costs more than it saves

T = TypeVar("T")
S = TypeVar("S")


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_FORKED: Any = None


def _call(fn: Callable[[Any, int], T], index: int) -> T:
    return fn(_FORKED, index)


def _worker_init() -> None:
    """Ctrl-C is the parent's to handle: it stops the pool. A worker that took it too would
    print its own traceback and could die holding the result queue's lock. Workers are
    born with SIGINT blocked (see _new_pool), so no Ctrl-C reaches them before this."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _new_pool(processes: int) -> multiprocessing.pool.Pool:
    """A fork pool whose workers never see Ctrl-C, not even in the instant after fork."""
    import multiprocessing.pool  # see the module's docstring

    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return multiprocessing.get_context("fork").Pool(processes, initializer=_worker_init)
    finally:  # a Ctrl-C that arrived meanwhile is delivered to the parent here
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def will_fork(count: int, jobs: int) -> bool:
    """Whether parallel_map(..., count, jobs) runs in worker processes."""
    if jobs < 2 or count < PARALLEL_MIN:
        return False
    import multiprocessing  # see the module's docstring

    return "fork" in multiprocessing.get_all_start_methods()


def parallel_map(fn: Callable[[S, int], T], state: S, count: int, jobs: int,
                 meanwhile: Callable[[], None] = lambda: None) -> list[T]:
    """``[fn(state, i) for i in range(count)]``, across ``jobs`` forked processes if worth it.

    ``meanwhile`` runs in this process while the workers work (or after, when serial).
    Callers that run threads (the preview server) pass ``jobs=1``: forking a threaded
    process is not safe.
    """
    global _FORKED
    if not will_fork(count, jobs):
        results = [fn(state, i) for i in range(count)]
        meanwhile()
        return results
    _FORKED = state
    try:
        with _new_pool(min(jobs, count)) as pool:
            pending = pool.map_async(partial(_call, fn), range(count),
                                     chunksize=max(1, count // (jobs * 8)))
            meanwhile()
            return pending.get()
    finally:
        _FORKED = None
