"""The fork pool (demodeck/pool.py): results in order, a worker's failure raised in the
parent, and stopping never hangs, even with workers in the middle of sending results;
where forking is not safe (macOS, Windows), the same work in this one process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

from demodeck.cli import main
from demodeck.incremental import pool
from tests.conftest import REPO, copy_examples, count_forks


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


def _as_on(platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as on macOS (os.fork there, but unsafe) or Windows (no os.fork)."""
    if platform == "macOS":
        monkeypatch.setattr(sys, "platform", "darwin")
    else:
        monkeypatch.delattr(os, "fork")


@pytest.fixture(params=["macOS", "Windows"])
def fork_unsafe(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """This process as on macOS or Windows: the processes forked from now on."""
    forked = count_forks(monkeypatch)
    _as_on(request.param, monkeypatch)
    return forked


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
        from demodeck.incremental import pool

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
        pool.parallel_map(_fails_with_a_local_class, None, 20, 2)
    assert "_fails_with_a_local_class" in str(caught.value.__cause__)
    assert _no_children_left()


def test_the_tasks_fit_in_the_pipe_whatever_the_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every task is written before a worker reads: 20,000 one-item chunks (80 KB) would
    fill a pipe's buffer and wait for ever; they are capped, and so are the workers."""
    monkeypatch.setattr(pool, "CHUNKS_PER_JOB", 1_000_000)  # one item per chunk, uncapped
    forked = count_forks(monkeypatch)
    assert pool.parallel_map(_square_of_state, 1, 20_000, 3) == [i * i for i in range(20_000)]
    assert len(forked) == 2  # and this process
    monkeypatch.setattr(pool, "MAX_TASKS", 2)
    assert pool.parallel_map(_square_of_state, 1, 50, 8) == [i * i for i in range(50)]
    assert len(forked) == 3  # two tasks: one worker and this process, not eight
    assert _no_children_left()


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
    assert wait() is False  # and says so again
    assert _no_children_left()


def _where_it_ran(_state: None, index: int) -> tuple[int, bool]:
    return os.getpid(), pool.in_worker()


def test_where_forking_is_unsafe_the_work_runs_here_and_no_process_starts(
        fork_unsafe: list[int]) -> None:
    ran: list[int] = []
    assert not pool.will_fork(100, 8)
    assert pool.parallel_map(_square_of_state, 3, 100, 8,
                             meanwhile=lambda: ran.append(os.getpid())) == [
        3 * i * i for i in range(100)]
    assert ran == [os.getpid()]
    assert set(pool.parallel_map(_where_it_ran, None, 50, 2)) == {(os.getpid(), False)}
    assert fork_unsafe == []
    assert _no_children_left()


def test_where_forking_is_unsafe_in_background_runs_here_and_says_how_it_ended(
        fork_unsafe: list[int], tmp_path: Any) -> None:
    mark = tmp_path / "pid"

    def fail() -> None:
        raise ValueError("no")

    assert pool.in_background(lambda: mark.write_text(str(os.getpid())))() is True
    assert int(mark.read_text()) == os.getpid()
    assert pool.in_background(fail)() is False
    assert fork_unsafe == []


def _tree(folder: Any) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_where_forking_is_unsafe_is_byte_identical_to_a_parallel_one(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The same commands, with worker processes forked here (Linux), then as on macOS and
    on Windows: the same site, byte for byte, the same check, and no process started."""
    root = copy_examples(tmp_path / "p")

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*args[:1], "-C", str(root), *args[1:]])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    def build(out: str) -> None:
        assert run("build", "--jobs", "2", "--no-cache", "--out", str(tmp_path / out))[0] == 0

    forked = count_forks(monkeypatch)
    build("parallel")
    checked = run("check", "--jobs", "2")
    assert checked[0] == 0
    assert len(forked) == 4  # validate and render (which estimates): the build's, the check's
    for platform in ("macOS", "Windows"):
        with monkeypatch.context() as here:
            _as_on(platform, here)
            build(platform)
            assert run("check", "--jobs", "2") == checked
        assert _tree(tmp_path / platform) == _tree(tmp_path / "parallel"), platform
    assert len(forked) == 4  # none more
    assert _no_children_left()
