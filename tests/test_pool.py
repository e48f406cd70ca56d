"""The fork pool (demodeck/pool.py): results in order, a worker's failure raised in the
parent, and stopping never hangs, even with workers in the middle of sending results."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

from demodeck import pool
from tests.conftest import REPO


def _square_of_state(state: int, index: int) -> int:
    return state * index * index


# This process takes chunks too (see pool.parallel_map); these tasks take long enough
# that a worker surely gets some, and fail only there.
def _fails_in_a_worker(_state: None, index: int) -> int:
    time.sleep(0.02)
    if pool.in_worker():
        raise ValueError(f"deck {index} is broken")
    return index


def _dies_in_a_worker(_state: None, index: int) -> int:
    time.sleep(0.02)
    if pool.in_worker():
        os._exit(3)
    return index


def _fails_here(_state: None, index: int) -> int:
    time.sleep(0.02)
    if not pool.in_worker():
        raise ValueError(f"deck {index} is broken here")
    return index


def _pid(_state: None, _index: int) -> int:
    time.sleep(0.02)
    return os.getpid()


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.fixture(autouse=True)
def _small_jobs_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)


@pytest.mark.parametrize(("count", "jobs"), [(1, 2), (5, 2), (100, 3), (257, 2)])
def test_results_come_back_in_order_from_the_inherited_state(count: int, jobs: int) -> None:
    assert pool.will_fork(count, jobs)
    assert pool.parallel_map(_square_of_state, 3, count, jobs) == [3 * i * i
                                                                   for i in range(count)]
    assert _no_children_left()


def test_meanwhile_runs_in_this_process_while_the_workers_work() -> None:
    ran: list[int] = []
    assert pool.parallel_map(_square_of_state, 1, 50, 2,
                             meanwhile=lambda: ran.append(os.getpid())) == [
        i * i for i in range(50)]
    assert ran == [os.getpid()]


def test_this_process_is_one_of_the_jobs() -> None:
    """Never more processes working than ``jobs``: jobs - 1 workers, and this one, which
    takes chunks too once its ``meanwhile`` is done."""
    ran: list[int] = []
    pids = pool.parallel_map(_pid, None, 20, 3, meanwhile=lambda: ran.append(os.getpid()))
    assert ran == [os.getpid()]
    assert os.getpid() in pids
    assert len(set(pids)) == 3
    assert _no_children_left()


def test_an_exception_in_a_worker_is_raised_here_with_its_traceback() -> None:
    with pytest.raises(ValueError, match=r"^deck \d+ is broken$") as caught:
        pool.parallel_map(_fails_in_a_worker, None, 20, 2)
    assert isinstance(caught.value.__cause__, pool.WorkerError)
    assert "_fails_in_a_worker" in str(caught.value.__cause__)
    assert _no_children_left()


def test_an_exception_in_this_process_stops_the_workers() -> None:
    with pytest.raises(ValueError, match=r"^deck \d+ is broken here$") as caught:
        pool.parallel_map(_fails_here, None, 20, 2)
    assert caught.value.__cause__ is None
    assert _no_children_left()


def test_a_worker_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match=r"ended without sending its results \(exit status 3\)"):
        pool.parallel_map(_dies_in_a_worker, None, 20, 2)
    assert _no_children_left()


def test_ctrl_c_while_workers_send_big_results_stops_at_once() -> None:
    """Ctrl-C in this process while the workers are blocked sending results far bigger
    than a pipe's buffer: they are killed and reaped at once. (multiprocessing.Pool's
    terminate() could wait for ever in this state, for a lock such a worker held: one
    run in six of test_ctrl_c_mid_build_keeps_the_previous_site[2] hung.)"""
    script = textwrap.dedent("""
        import os, time
        from demodeck import pool

        def big(_state, index):
            return bytes(1_000_000)

        def interrupted():
            time.sleep(0.2)
            raise KeyboardInterrupt

        pool.PARALLEL_MIN = 1
        started = time.monotonic()
        try:
            pool.parallel_map(big, None, 64, 2, meanwhile=interrupted)
        except KeyboardInterrupt:
            try:
                os.waitpid(-1, os.WNOHANG)
                print("a worker is left")
            except ChildProcessError:
                print(f"stopped {time.monotonic() - started < 5}")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert (done.stdout, done.stderr) == ("stopped True\n", "")


def _fails_with_a_local_class(_state: None, index: int) -> int:
    class Unpicklable(Exception):  # a class pickle cannot find by name
        pass

    time.sleep(0.02)
    if pool.in_worker():
        raise Unpicklable("made in a worker")
    return index


def test_an_exception_that_does_not_pickle_still_reaches_here_by_name() -> None:
    with pytest.raises(RuntimeError, match=r"^Unpicklable: made in a worker$") as caught:
        pool.parallel_map(_fails_with_a_local_class, None, 10, 2)
    assert "_fails_with_a_local_class" in str(caught.value.__cause__)
    assert _no_children_left()


def test_the_tasks_fit_in_the_pipe_whatever_the_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every task is written before a worker reads: 20,000 one-item chunks (80 KB) would
    fill a pipe's buffer and wait for ever; they are capped, and so are the workers."""
    monkeypatch.setattr(pool, "CHUNKS_PER_JOB", 1_000_000)  # one item per chunk, uncapped
    started: list[int] = []
    start = pool._start

    def spy(*args: Any) -> None:
        started.append(1)
        start(*args)

    monkeypatch.setattr(pool, "_start", spy)
    assert pool.parallel_map(_square_of_state, 1, 20_000, 3) == [i * i for i in range(20_000)]
    assert len(started) == 2  # and this process
    monkeypatch.setattr(pool, "MAX_TASKS", 2)
    assert pool.parallel_map(_square_of_state, 1, 50, 8) == [i * i for i in range(50)]
    assert len(started) == 3  # two tasks: one worker and this process, not eight


def test_in_background_runs_in_another_process_and_says_how_it_ended(tmp_path: Any) -> None:
    mark = tmp_path / "pid"

    def note_pid() -> None:
        mark.write_text(str(os.getpid()))

    def fail() -> None:
        raise ValueError("no")

    assert pool.in_background(note_pid)() is True
    assert int(mark.read_text()) != os.getpid()
    wait = pool.in_background(fail)
    assert wait() is False  # quietly: the child prints no traceback
    assert wait() is False  # waited for already
