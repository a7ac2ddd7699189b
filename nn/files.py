"""Writing files safely (every file ``nn`` writes appears whole or not at all), and reading
into memory that was sized beforehand.

``atomic_path(path)`` yields a fresh temporary file beside the destination; when the block ends
without an error the temporary file is renamed onto the destination in one step, so a crash, a
full disk or Ctrl-C never leaves a half-written file, and readers see the old file or the new
one. A destination that is a symbolic link is written through: the link's target receives the
new content and the link stays in place, as ``open(path, 'w')`` would do.

``check_writable_directory(path)`` proves that files can be created in a directory (that may
not exist yet), so a long job can fail before it starts rather than when it saves its results.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

__all__ = ["atomic_path", "check_writable_directory", "read_into"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new, empty temporary file beside ``path``; on success rename it onto ``path``.

    The temporary file lives in the directory of the file ``path`` finally names (symbolic links
    followed), so the rename never crosses file systems and a link keeps pointing at the new
    content. It gets the permissions an ordinary new file would get. If the block raises, the
    temporary file is removed and ``path`` is left exactly as it was.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a directory; give a file name")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the directory {target.parent} does not "
                                "exist")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; use normal rights
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable_directory(path: str | os.PathLike) -> Path:
    """Check that files can be written into directory ``path``, creating it (and its parents)
    if needed, without leaving anything behind: directories created only for the check are
    removed again. Returns ``path`` as a ``Path``.

    Raises ``OSError`` with a one-line message naming the directory when it cannot be created
    (a file stands in the way, no permission, a read-only file system, a name too long) or a
    file cannot be created in it.
    """
    directory = Path(path)
    created = []
    try:
        created = [d for d in (directory, *directory.parents) if not os.path.lexists(d)]
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise OSError(f"cannot write into directory {directory}: {reason}") from None
    finally:
        for made in created:  # the deepest first
            with contextlib.suppress(OSError):
                made.rmdir()
    return directory


def read_into(stream: BinaryIO, buffer) -> int:
    """Fill ``buffer`` (a writable bytes-like object, e.g. a uint8 view of a numpy array) from
    ``stream``; returns how many bytes were read (fewer when the stream ends first). Readers
    size the buffer from a header they checked, so a stream never makes them allocate more."""
    view = memoryview(buffer).cast("B") if len(memoryview(buffer)) else memoryview(b"")
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled
