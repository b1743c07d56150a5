"""Small file helpers: atomic writes, so a crash mid-save leaves the previous file readable; what kind
of file a path holds; operating-system errors in a user's words."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`.

    Any failure (a read-only or missing folder, a path under a file, a full disk, a file-size limit)
    raises OSError about `path` and leaves no partial file. Only a regular file is ever replaced: a
    device, pipe or folder at `path` is refused (OSError), and a symbolic link's target is written."""
    path = Path(path)
    if os.path.islink(path):
        path = Path(os.path.realpath(path))
    check_replaceable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None
    except OSError as e:
        raise _about(e, path) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _about(e, path) from None
    try:
        # mkstemp makes the file private; give it the mode an ordinary new file would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        check_replaceable(path)   # again: something else may have appeared there meanwhile
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise _about(e, path) from None
        raise


class NotRegularFile(OSError):
    """An output path holds a device, pipe, socket or folder: coplan never replaces one."""


def check_replaceable(path: Path) -> None:
    """Raise NotRegularFile when something other than a regular file is at `path` (nothing is fine)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a device, pipe or socket"
        raise NotRegularFile(errno.EEXIST, f"is {kind}, not a regular file; coplan writes only files", str(path))


def _about(e: OSError, path: Path) -> OSError:
    """The same error about the file the user asked for, not the temporary file beside it."""
    return type(e)(e.errno, e.strerror, str(path)) if e.errno is not None else e


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


# ------------------------------------------------------------------------------------------ what a file is
# A command that expects one kind of file names the kind it got ("a PNG image") instead of failing to
# parse it, and never shows the file's bytes.
HEAD_BYTES = 4096
SQLITE_MAGIC = b"SQLite format 3\x00"
_UTF16 = "UTF-16 text (coplan reads UTF-8 or Latin-1: save it as UTF-8)"
# (first bytes, kind, words)
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (SQLITE_MAGIC, "sqlite", "an SQLite database"),
    (b"\x89PNG\r\n\x1a\n", "png", "a PNG image"),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (b"GIF87a", "gif", "a GIF image"),
    (b"GIF89a", "gif", "a GIF image"),
    (b"%PDF-", "pdf", "a PDF document"),
    (b"PK\x03\x04", "zip", "a workbook or ZIP archive"),
    (b"PAR1", "parquet", "a Parquet file"),
    (b"\x1f\x8b", "gzip", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0", "ole", "an old-style Excel or Word file (.xls, .doc)"),
    (b"\xff\xfe", "utf16", _UTF16),
    (b"\xfe\xff", "utf16", _UTF16),
)


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first `size` bytes of a file (OSError when it cannot be read)."""
    with open(path, "rb") as f:
        return f.read(size)


def sniff(head: bytes) -> tuple[str, str] | None:
    """What a file's first bytes show it to be: (kind, words), e.g. ("png", "a PNG image"); None for text."""
    for signature, kind, words in _SIGNATURES:
        if head.startswith(signature):
            return kind, words
    control = sum(1 for b in head if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    if head.count(0) > 8 or control > 0.05 * len(head):
        return "binary", "binary content, not text"
    return None


_OS_WORDS = {
    errno.ENOENT: "not found",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the disk is read-only",
    errno.EEXIST: "already exists",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EBUSY: "in use by another program",
    errno.EFBIG: "the file is larger than the disk or a file-size limit allows",
}


def os_error_words(e: OSError) -> str:
    """An operating-system error in a user's words, without the path ("permission denied")."""
    if isinstance(e, NotRegularFile):
        return e.strerror
    return _OS_WORDS.get(e.errno, e.strerror or str(e) or type(e).__name__)


def describe_os_error(e: OSError) -> str:
    """'report.pdf: permission denied': the file an operating-system error is about, and what it is."""
    where = next((str(n) for n in (e.filename, e.filename2) if n is not None), None)
    return f"{where}: {os_error_words(e)}" if where else os_error_words(e)
