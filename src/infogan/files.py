"""Writing files so that a crash or a full disk never leaves a half-written one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from infogan.errors import InfoganError

MAX_NAME_BYTES = 255  # the longest file name the common file systems take


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(stream)`` on a temporary file beside ``path``, fsync, then rename it over ``path``.

    The previous file at ``path`` stays complete until the rename; a crash or a full disk
    leaves at worst a stray ``.NAME.*.tmp`` file, which is removed when we can. An OSError
    becomes an ``InfoganError`` naming the file.
    """
    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InfoganError(f"could not write {path}: {error.strerror or error}") from None
    os.fchmod(handle, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual permissions
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InfoganError(f"could not write {path}: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """``write_atomic`` for a UTF-8 text."""
    data = text.encode()
    return write_atomic(path, lambda stream: stream.write(data))


def check_output_file(path: str | Path, suffixes: tuple[str, ...], what: str = "output file") -> Path:
    """``path`` as a Path after checking, before any work, that it can be written.

    Its suffix must be one of ``suffixes`` (lower case, with the dot), its folder must exist
    and be writable, and it must not be a folder itself.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise InfoganError(f"{what} {path} must end in {' or '.join(suffixes)}")
    longest = max((len(part.encode()) for part in path.parts), default=0)
    if longest > MAX_NAME_BYTES:
        raise InfoganError(f"a name in the {what}'s path is too long ({longest} bytes; at most {MAX_NAME_BYTES})")
    check_writable_folder(path.parent)
    if path.is_dir():
        raise InfoganError(f"{what} {path} is a folder; give a file name")
    return path


def check_writable_folder(folder: str | Path) -> Path:
    """``folder`` if it exists and a file can be created in it; else an ``InfoganError``."""
    folder = Path(folder)
    try:
        exists, is_folder = folder.exists(), folder.is_dir()
    except OSError as error:  # a path too long for the file system
        raise InfoganError(f"folder {str(folder)[:80]}... cannot be used ({error.strerror})") from None
    if not is_folder:
        raise InfoganError(f"folder {folder} {'is not a folder' if exists else 'does not exist'}")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".infogan-write-test-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise InfoganError(f"folder {folder} is not writable ({error.strerror})") from None
    return folder
