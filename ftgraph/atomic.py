"""Atomic outputs: a command writes into a staging copy of ``out/`` that replaces it in one step.

A build killed at any moment leaves the previous ``out/`` intact. On Linux the swap is one
``renameat2(RENAME_EXCHANGE)`` system call; elsewhere two renames with a recovery step.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the platform cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        errno = ctypes.get_errno()
        if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: file system without exchange
            return False
        raise OSError(errno, os.strerror(errno), str(a))
    return True


def _backup_of(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


def recover(target: Path) -> None:
    """Restore ``target`` if a non-atomic swap was interrupted between its two renames, and remove the
    staging folders of writers that were killed (call it holding the lock: no live writer has one)."""
    for stale in target.parent.glob(f".{target.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    backup = _backup_of(target)
    if backup.exists() and not target.exists():
        backup.rename(target)
    elif backup.exists():
        shutil.rmtree(backup, ignore_errors=True)


def _replace_dir(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)  # it now holds the previous content
        return
    backup = _backup_of(target)
    target.rename(backup)
    staging.rename(target)
    shutil.rmtree(backup)


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """One writer at a time in the folder holding ``target`` (a lock on the folder itself: no stray file)."""
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def staged_dir(target: Path, *, keep_existing: bool = True, skip: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a staging folder that replaces ``target`` when the block ends without error.

    With ``keep_existing`` the staging folder starts as a copy of ``target`` (minus ``skip``), so a
    command that writes some outputs keeps the others. On error the staging folder is discarded.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        recover(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the output is an ordinary folder
        try:
            if keep_existing and target.is_dir():
                shutil.copytree(target, staging, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(*skip) if skip else None)
            yield staging
            _replace_dir(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write one file so that readers see either the old or the new content, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it a new file's usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
