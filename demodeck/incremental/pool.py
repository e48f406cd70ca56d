"""A fork-based process pool: workers inherit the parent's state instead of unpickling it.

Used for the CPU-heavy stages of a large build (validating and rendering hundreds of
decks). Workers are forked only where that is safe (see :func:`fork_is_safe`);
everywhere else the same work runs in this one process, with the same output: workers
started with spawn would import and unpickle everything, which costs more than they
save. Forking a process that runs threads is unsafe too, so the preview server, which
does, always passes ``jobs=1``.

Written over ``os.fork`` and pipes rather than :class:`multiprocessing.pool.Pool`, whose
``terminate()`` (what leaving its ``with`` block does on Ctrl-C) can wait for ever: a
worker writing a result bigger than the pipe's buffer holds the result queue's lock
while nobody reads any more, and terminate waits for that lock (seen here: about one
Ctrl-C in three during the validation of an 80-deck archive hung). Nor over
:class:`concurrent.futures.ProcessPoolExecutor` with the fork context: no public way to
kill its workers before Python 3.14, a manager thread that dies on Python 3.11 when a
worker is killed after a task was cancelled (CPython gh-107219), and a slower start, as
with multiprocessing's fork-context processes (see benchmarks/README.md). Nothing is
shared here but pipes. The tasks are chunk numbers, all written to one pipe before the
workers start (each takes the next with a 4-byte read, which a pipe never splits), and
each worker sends its results back at the end on a pipe of its own. The parent is one of
the ``jobs``: it takes chunks too once it has done its own work. Stopping the workers is
killing them: they hold no lock the parent could need.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, BinaryIO, TypeVar

PARALLEL_MIN = 24  # below this many items a pool costs more than it saves
CHUNKS_PER_JOB = 32  # small chunks (~8 decks of 520), so the processes end close together
_RECORD = 4  # bytes of one task: the first index of its chunk
# At most this many tasks, whatever --jobs says: all of them are written before any
# worker reads, so they must fit in a pipe's buffer (64 KiB on Linux, 16 KiB on macOS).
MAX_TASKS = 1024

T = TypeVar("T")
S = TypeVar("S")


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def fork_is_safe() -> bool:
    """Whether worker processes may be forked here: where ``os.fork`` exists (not on
    Windows), but not on macOS, where a child forked without exec may crash in the
    system's frameworks (Python starts processes there with spawn by default)."""
    return hasattr(os, "fork") and sys.platform != "darwin"


def will_fork(count: int, jobs: int) -> bool:
    """Whether parallel_map(..., count, jobs) runs in worker processes."""
    return jobs >= 2 and count >= PARALLEL_MIN and fork_is_safe()


_FORKED: Any = None  # the state of the current parallel_map, which the workers inherit
_IN_WORKER = False


def parallel_map(fn: Callable[[S, int], T], state: S, count: int, jobs: int,
                 meanwhile: Callable[[], None] = lambda: None) -> list[T]:
    """``[fn(state, i) for i in range(count)]``, across ``jobs`` processes if worth it
    and safe (see will_fork): ``jobs - 1`` forked workers and this one.

    ``meanwhile`` runs in this process while the workers work (or after, when serial);
    then this process takes the chunks the workers have not, so that no more processes
    run than ``jobs``: a third busy process on two cores made every one of them slower.

    An exception in a worker is raised here; so is Ctrl-C, after the workers are killed.
    Callers that run threads (the preview server) pass ``jobs=1``.
    """
    global _FORKED
    if not will_fork(count, jobs):
        results = [fn(state, i) for i in range(count)]
        meanwhile()
        return results
    size = max(1, count // (jobs * CHUNKS_PER_JOB), -(-count // MAX_TASKS))
    workers: list[tuple[int, BinaryIO]] = []  # (pid, the read end of its results' pipe)
    _FORKED = state
    try:
        starts = range(0, count, size)
        tasks = _task_pipe(starts)
        try:
            for _ in range(min(jobs, len(starts)) - 1):
                _start(workers, fn, tasks, size, count)
            meanwhile()
            mine = list(_chunks(fn, state, tasks, size, count))
        finally:
            os.close(tasks)
        return _collect(workers, count, mine)
    except BaseException:
        _stop(workers)
        raise
    finally:
        _FORKED = None


def in_worker() -> bool:
    """Whether this process is a worker of parallel_map (whose results are pickled)."""
    return _IN_WORKER


def _task_pipe(starts: range) -> int:
    """A pipe holding every task, closed for writing: its read end."""
    read, write = os.pipe()
    try:
        data = b"".join(start.to_bytes(_RECORD, "little") for start in starts)
        written = 0
        while written < len(data):
            written += os.write(write, data[written:])
    except BaseException:
        os.close(read)
        raise
    finally:
        os.close(write)
    return read


def _start(workers: list[tuple[int, BinaryIO]], fn: Callable[[Any, int], Any], tasks: int,
           size: int, count: int) -> None:
    """Fork one worker and add it to ``workers``. Ctrl-C is the parent's to handle (a
    worker that took it would print its own traceback): SIGINT stays held from before
    the fork until the worker ignores it (see _fork), and in the parent until the worker
    is on the list, so that a Ctrl-C can never leave a worker nobody stops."""
    read, write = os.pipe()
    try:
        with _sigint_held():
            pid = _fork(partial(_work, fn, tasks, read, write, size, count))
            workers.append((pid, open(read, "rb")))  # noqa: SIM115 - _collect or _stop closes it
    except BaseException:
        os.close(read)
        raise
    finally:
        os.close(write)


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Ctrl-C held back (blocked) meanwhile; one that came is delivered on leaving."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _fork(child: Callable[[], None]) -> int:
    """Fork a process that runs ``child`` and ends, with status 0 if it returned and 1 if
    it raised, without running anything of the parent's (no atexit handlers, no
    ``finally`` up the stack, no buffered output). It ignores Ctrl-C, which is the
    parent's to handle: call this with SIGINT held (_sigint_held), so that none reaches
    it before it does. Returns its pid."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            child()
            status = 0
        finally:
            os._exit(status)
    return pid


def _work(fn: Callable[[Any, int], Any], tasks: int, unused: int, out: int, size: int,
          count: int) -> None:
    """A worker's whole life (see _fork): take chunks until none is left, then send back
    ``(True, [(index, result), ...])`` or ``(False, exception)``. ``unused``: the read end
    of its own results' pipe, the parent's."""
    global _IN_WORKER
    _IN_WORKER = True
    os.close(unused)
    try:
        results = list(_chunks(fn, _FORKED, tasks, size, count))
        payload = pickle.dumps((True, results), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # every failure goes to the parent
        payload = _pickled_error(exc)
    with open(out, "wb", closefd=True) as pipe:
        pipe.write(payload)


def _chunks(fn: Callable[[Any, int], T], state: Any, tasks: int, size: int,
            count: int) -> Iterator[tuple[int, T]]:
    """``(index, fn(state, index))`` for every index of the chunks taken from ``tasks``
    (each with a 4-byte read, which a pipe never splits) until none is left."""
    while len(record := os.read(tasks, _RECORD)) == _RECORD:
        start = int.from_bytes(record, "little")
        for i in range(start, min(start + size, count)):
            yield i, fn(state, i)


def _pickled_error(exc: BaseException) -> bytes:
    text = "".join(traceback.format_exception(exc))
    try:
        return pickle.dumps((False, exc, text), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}"), text))


class WorkerError(Exception):
    """The traceback of an exception raised in a worker (the ``__cause__`` of its copy)."""


def _collect(workers: list[tuple[int, BinaryIO]], count: int,
             mine: list[tuple[int, Any]]) -> list[Any]:
    """Every result, put back in order: ``mine`` (this process's) and the workers'; a
    worker's exception is raised here."""
    results: list[Any] = [None] * count
    for index, result in mine:
        results[index] = result
    done = len(mine)
    while workers:
        pid, pipe = workers[0]
        with pipe:
            payload = pipe.read()
        workers.pop(0)
        _, status = os.waitpid(pid, 0)
        if not payload:
            raise RuntimeError("a worker process ended without sending its results (exit "
                               f"status {os.waitstatus_to_exitcode(status)})")
        ok, *body = pickle.loads(payload)
        if not ok:
            exc, text = body
            raise exc from WorkerError(text)
        for index, result in body[0]:
            results[index] = result
            done += 1
    if done != count:
        raise RuntimeError(f"the workers sent {done} results of {count}")
    return results


def _stop(workers: list[tuple[int, BinaryIO]]) -> None:
    """Kill the workers that are left and wait for them: they hold nothing worth keeping."""
    for pid, pipe in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        pipe.close()
    for pid, _ in workers:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    workers.clear()


def in_background(fn: Callable[[], None]) -> Callable[[], bool]:
    """Run ``fn`` in a forked process while this one goes on (see _fork: it ignores
    Ctrl-C; what it does is short and is waited for), or here and now where forking is
    not safe (see fork_is_safe); returns the function that waits for it and tells
    whether it succeeded."""
    if not fork_is_safe():
        try:
            fn()
        except Exception:
            return lambda: False
        return lambda: True
    with _sigint_held():
        pid = _fork(fn)

    def wait() -> bool:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # waited for already
            return False
        return os.waitstatus_to_exitcode(status) == 0

    return wait
