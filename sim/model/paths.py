"""Paths built from input stay where they belong.

A scenario or experiment name becomes a folder name, so it must be a safe name: letters,
digits, `_`, `-` and `.`, starting with a letter or digit, at most 100 characters (no
`/`, no `..`, no newline, not empty). `inside(root, *parts)` joins parts under a results
root and refuses a result that would land outside it (through `..`, an absolute part or
a symlink inside the root that points elsewhere).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
_NAME = re.compile(NAME_PATTERN)


class UnsafePath(ValueError):
    pass


def check_name(name, what: str = "name") -> str:
    """A name usable as one folder name, or UnsafePath saying what is wrong."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise UnsafePath(
            f"{what} {name!r} is not a safe folder name: use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit, at most 100 characters"
        )
    return name


def inside(root: Path, *parts: str) -> Path:
    """root/parts..., refused if it resolves outside root (symlinks followed)."""
    root = Path(root)
    for part in parts:
        check_name(part, "path part")
    path = root.joinpath(*parts)
    real_root = root.resolve()
    real = path.resolve()
    if real != real_root and real_root not in real.parents:
        raise UnsafePath(f"{path} resolves to {real}, outside the results folder {real_root}")
    return path


def probe_folder(folder: Path) -> None:
    """Create `folder` (and parents) and check a file can be written and removed there.
    Raises OSError with a readable message."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".egov-probe-", suffix=".tmp", dir=folder)
    try:
        os.write(fd, b"x" * 4096)
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(name)


def describe_os_error(path: Path, e: OSError) -> str:
    reason = e.strerror or str(e)
    return f"{path}: cannot write results here: {reason}"
