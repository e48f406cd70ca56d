"""The swap: the new site folder takes the output folder's place in one step.

The two folders trade names in one atomic exchange (``renameat2(RENAME_EXCHANGE)`` on
Linux, ``renamex_np(RENAME_SWAP)`` on macOS); where the file system has none, two
renames do it and the next build puts the old site back should one have been killed
between them (:func:`demodeck.outdir.repair`). The replaced site becomes the spare copy
the next write takes unchanged folders from, or is removed. Ctrl-C, SIGTERM and SIGHUP
are held back meanwhile (:func:`interrupts_held`). Apart from :mod:`demodeck.write`
because it is the one place that talks to the C library and to signal handlers.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from demodeck import outdir


def swap(new: Path, out: Path, held: contextlib.ExitStack | None,
          spare: Path | None) -> list[tuple[Path, str]]:
    """``new`` becomes ``out``, and the previous site the ``spare`` copy (or is removed);
    returns the copies that could not be removed, and why."""
    with contextlib.ExitStack() as own:
        (held or own).enter_context(interrupts_held())
        old = _replace(new, out)
        return _retire(old, spare) if old is not None else []


def _retire(old: Path, spare: Path | None) -> list[tuple[Path, str]]:
    """The replaced site becomes the spare copy, in place of what the write left of the
    last one (the folders it did not take); where it cannot, it is removed."""
    left = []
    if spare is not None and os.path.lexists(spare):
        failed = outdir.remove(spare)
        if failed:
            left.append((spare, failed))
            spare = None
    if spare is not None:
        with contextlib.suppress(OSError):  # another file system: remove it instead
            spare.parent.mkdir(parents=True, exist_ok=True)
            os.rename(old, spare)
            return left
    failed = outdir.remove(old)
    return [*left, (old, failed)] if failed else left


def _replace(new: Path, out: Path) -> Path | None:
    """``new`` becomes ``out``; the previous ``out``, under another name, is returned."""
    if not os.path.lexists(out):
        os.rename(new, out)
        return None
    if _exchange(new, out):
        return new  # the previous site is under the temporary name now
    old = Path(tempfile.mkdtemp(prefix=outdir.old_prefix(out), dir=out.parent))
    old.rmdir()
    os.rename(out, old)  # from here until the next rename there is no site: see outdir.repair
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)  # put the previous site back
        raise
    return old


def _exchange(new: Path, out: Path) -> bool:
    """Swap the names of two folders in one step of the file system; False where it
    cannot (another system, an old kernel or C library, a file system without it)."""
    call = _exchange_call()
    if call is None:
        return False
    try:
        call(os.fsencode(new), os.fsencode(out))
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
            return False
        raise
    return True


@functools.cache
def _exchange_call() -> Callable[[bytes, bytes], None] | None:
    """The C library's atomic exchange of two paths, raising OSError; None if none."""
    if sys.platform not in ("linux", "darwin"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if sys.platform == "linux":  # glibc >= 2.28
        fn = getattr(libc, "renameat2", None)
        args = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    else:
        fn = getattr(libc, "renamex_np", None)
        args = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
    if fn is None:
        return None
    fn.argtypes, fn.restype = args, ctypes.c_int

    def exchange(a: bytes, b: bytes) -> None:
        at_fdcwd, rename_exchange, rename_swap = -100, 2, 2
        done = (fn(at_fdcwd, a, at_fdcwd, b, rename_exchange) if sys.platform == "linux"
                else fn(a, b, rename_swap))
        if done != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), os.fsdecode(b))

    return exchange


HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold back Ctrl-C, SIGTERM and SIGHUP for the moment of the swap (and while
    the CLI reports a build that is done, see commands.cmd_build): one
    between the two renames (where the file system has no exchange) would leave no site,
    one during the clean-up a stray old copy. The build is complete by then, so a signal
    that lands here simply comes a moment too late: it is dropped. (A Python handler, not
    SIG_IGN: one already pending runs it instead of a "race condition" message.) Only the
    main thread is ever interrupted, and only it may change signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = [(sig, handler) for sig in HELD_SIGNALS
            if (handler := signal.getsignal(sig)) is not None]
    for sig, _ in held:  # None: a handler set from C, which could not be put back
        signal.signal(sig, _too_late)
    try:
        yield
    finally:
        for sig, handler in held:
            signal.signal(sig, handler)


def _too_late(signum: int, frame: object) -> None:
    """A signal during the swap: dropped (see interrupts_held)."""
