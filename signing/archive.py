"""Content-addressed, write-once storage of PDF revisions: `<root>/<sha[:2]>/<sha>.pdf`.

A revision's address is the SHA-256 of its bytes, so a stored file can be
checked against its name at any time, and nothing is ever written twice.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path


class ArchiveError(Exception):
    """The archive does not hold what its address promises: missing, changed, or taken."""


def digest(data: bytes) -> str:
    """Return the SHA-256 of `data` as hex: a revision's address."""
    return hashlib.sha256(data).hexdigest()


def path_for(root: Path, sha256: str) -> Path:
    """Return where the revision `sha256` lives under `root`."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return Path(root) / sha256[:2] / f"{sha256}.pdf"


def store(root: Path, data: bytes) -> str:
    """Keep `data` under its SHA-256 and return it; storing the same bytes again is a no-op."""
    sha256 = digest(data)
    path = path_for(root, sha256)
    if path.exists():
        read(root, sha256)  # an existing file must really hold these bytes
        return sha256
    try:
        write_once(path, data)
    except ArchiveError:
        read(root, sha256)  # another process stored the same bytes meanwhile
    return sha256


def write_once(path: Path, data: bytes) -> None:
    """Write `data` to `path`, which must not exist yet; the file is left read-only.

    Raises:
        ArchiveError: when `path` exists: revisions are never overwritten.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    with open(temporary, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o444)
    try:
        # link() fails when the name exists, unlike rename(): no overwrite, even in a race.
        os.link(temporary, path)
    except FileExistsError:
        raise ArchiveError(f"{path.name} exists already; revisions are never overwritten") from None
    finally:
        os.unlink(temporary)


def read(root: Path, sha256: str) -> bytes:
    """Return the revision `sha256`, checking that its bytes still hash to its address.

    Raises:
        ArchiveError: when the file is missing or its content changed.
    """
    data = read_unchecked(root, sha256)
    if digest(data) != sha256:
        raise ArchiveError(f"revision {sha256} was changed on disk; its bytes no longer match")
    return data


def read_unchecked(root: Path, sha256: str) -> bytes:
    """Return the stored bytes without checking them, for verification to judge."""
    try:
        return path_for(root, sha256).read_bytes()
    except FileNotFoundError:
        raise ArchiveError(f"revision {sha256} is missing from the archive") from None
