"""The archive: content-addressed, write-once, checked on every read."""
from __future__ import annotations

import hashlib
import os

import pytest

from signing import archive


def test_a_revision_lives_under_its_sha256(tmp_path):
    sha256 = archive.store(tmp_path, b"%PDF-1.7 one")
    assert sha256 == hashlib.sha256(b"%PDF-1.7 one").hexdigest()
    path = tmp_path / sha256[:2] / f"{sha256}.pdf"
    assert path.read_bytes() == b"%PDF-1.7 one"
    assert os.stat(path).st_mode & 0o222 == 0  # read-only
    assert archive.read(tmp_path, sha256) == b"%PDF-1.7 one"


def test_storing_the_same_bytes_again_changes_nothing(tmp_path):
    first = archive.store(tmp_path, b"%PDF-1.7 same")
    before = os.stat(archive.path_for(tmp_path, first))
    assert archive.store(tmp_path, b"%PDF-1.7 same") == first
    after = os.stat(archive.path_for(tmp_path, first))
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_the_archive_refuses_to_overwrite(tmp_path):
    sha256 = archive.store(tmp_path, b"%PDF-1.7 original")
    path = archive.path_for(tmp_path, sha256)
    with pytest.raises(archive.ArchiveError, match="never overwritten"):
        archive.write_once(path, b"%PDF-1.7 forged")
    assert path.read_bytes() == b"%PDF-1.7 original"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary left


def test_a_changed_file_is_caught_on_read(tmp_path):
    sha256 = archive.store(tmp_path, b"%PDF-1.7 original")
    path = archive.path_for(tmp_path, sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"%PDF-1.7 tampered")
    with pytest.raises(archive.ArchiveError, match="changed on disk"):
        archive.read(tmp_path, sha256)
    with pytest.raises(archive.ArchiveError, match="changed on disk"):
        archive.store(tmp_path, b"%PDF-1.7 original")
    assert archive.read_unchecked(tmp_path, sha256) == b"%PDF-1.7 tampered"


def test_a_missing_revision_and_a_bad_address_are_errors(tmp_path):
    with pytest.raises(archive.ArchiveError, match="missing"):
        archive.read(tmp_path, "0" * 64)
    with pytest.raises(ValueError):
        archive.path_for(tmp_path, "../../etc/passwd")
