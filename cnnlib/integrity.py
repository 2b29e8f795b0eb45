"""Data files that cannot be silently wrong: published checksums, a verification stamp, atomic writes.

`cnnlib.data` checks every raw file against its published checksum (or size) when it is
prepared or first loaded, and remembers the result in a stamp file (`.cnnlib-verified.json`
beside the files, keyed on size and modification time) so later loads only `stat` the files.
Everything written goes to a temporary file first and is renamed into place, so an
interrupted run leaves nothing half-written and two first runs at once are safe.
Used by chapter 1's data loading (and every chapter after it).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

STAMP = ".cnnlib-verified.json"
PART = ".part"  # suffix of files being written
CHUNK = 1 << 20


@dataclass(frozen=True)
class Expected:
    """What a file must be: its size and/or one of the published digests (empty: not known)."""

    size: int | None = None
    sha256: tuple[str, ...] = ()
    md5: tuple[str, ...] = ()

    @property
    def has_digest(self) -> bool:
        """True when a published checksum is known (else only the size can be checked)."""
        return bool(self.sha256 or self.md5)


def digests(path: Path, gunzip: bool = False) -> dict[str, str]:
    """MD5 and SHA-256 of a file in one pass; with `gunzip`, also of its decompressed content."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            md5.update(chunk)
            sha.update(chunk)
    out = {"md5": md5.hexdigest(), "sha256": sha.hexdigest()}
    if gunzip:
        inner = hashlib.sha256()
        with gzip.open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                inner.update(chunk)
        out["content_sha256"] = inner.hexdigest()
    return out


def _read_stamp(folder: Path) -> dict[str, dict]:
    try:
        stamp = json.loads((folder / STAMP).read_text())
        return stamp if isinstance(stamp, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_stamp(folder: Path, stamp: dict[str, dict]) -> None:
    """Best effort: a read-only folder just means files are checksummed again next time."""
    with contextlib.suppress(OSError):
        atomic_write(folder / STAMP, lambda f: f.write(json.dumps(stamp, indent=1).encode()))


def check_file(path: Path, expected: Expected, gunzip: bool = False,
               remember: bool = True) -> tuple[str | None, dict[str, str]]:
    """(problem or None, digests) for one file; the stamp makes a second check a mere `stat`.

    Without a published checksum the size is checked, and the file must not have changed
    since it was first verified (its digests are remembered in the stamp). `remember=False`
    writes no stamp (for folders that are not ours, such as the Debian package's).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return "missing", {}
    if expected.size is not None and info.st_size != expected.size:
        kind = "truncated" if info.st_size < expected.size else "too long"
        return f"{kind}: {info.st_size:,} bytes, expected {expected.size:,}", {}
    stamp = _read_stamp(path.parent) if remember else {}
    entry = stamp.get(path.name, {})
    key = [info.st_size, info.st_mtime_ns]
    found = entry.get("digests", {})
    if entry.get("key") != key or (gunzip and "content_sha256" not in found):
        found = digests(path, gunzip)
    if expected.has_digest:
        if found["sha256"] not in expected.sha256 and found["md5"] not in expected.md5:
            return "damaged: its checksum does not match the published one", found
    elif entry and entry.get("digests", {}).get("sha256", found["sha256"]) != found["sha256"]:
        return "damaged: it changed since it was verified", found
    if remember and (entry.get("key") != key or entry.get("digests") != found):
        stamp = _read_stamp(path.parent)  # re-read: another process may have added entries
        stamp[path.name] = {"key": key, "digests": found}
        _write_stamp(path.parent, stamp)
    return None, found


def forget(path: Path) -> None:
    """Drop a file's stamp entry (before repairing it)."""
    stamp = _read_stamp(path.parent)
    if stamp.pop(path.name, None) is not None:
        _write_stamp(path.parent, stamp)


def _part_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{PART}")


def atomic_write(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write `target` through a temporary file renamed into place: never a half-written file."""
    part = _part_name(target)
    try:
        with open(part, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, target)
    except BaseException:  # Ctrl-C included: leave nothing behind
        with contextlib.suppress(OSError):
            part.unlink()
        raise


def copy_stream(src: BinaryIO, dst: BinaryIO) -> None:
    """Copy in chunks (a separate function so tests can interrupt a copy half-way)."""
    shutil.copyfileobj(src, dst, CHUNK)


def gunzip_to(source: Path, target: Path) -> None:
    """Decompress `source` (.gz) into `target` atomically."""
    def write(dst: BinaryIO) -> None:
        with gzip.open(source, "rb") as src:
            copy_stream(src, dst)

    atomic_write(target, write)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def scratch_dir(parent: Path) -> Path:
    """A new temporary folder in `parent`, named so `remove_stale_parts` knows its owner."""
    path = parent / f".download.{os.getpid()}.{secrets.token_hex(4)}{PART}"
    path.mkdir(parents=True)
    return path


def remove_stale_parts(folder: Path, max_age_s: float = 3600) -> list[Path]:
    """Delete temporary files/folders left by a killed run (its process is gone, or they are old)."""
    removed = []
    if not folder.is_dir():
        return removed
    for part in folder.glob(f".*{PART}"):
        fields = part.name.split(".")
        pid = int(fields[-3]) if len(fields) >= 4 and fields[-3].isdigit() else None
        with contextlib.suppress(OSError):
            old = time.time() - part.stat().st_mtime > max_age_s
            if old or (pid is not None and pid != os.getpid() and not _pid_alive(pid)):
                if part.is_dir():
                    shutil.rmtree(part)
                else:
                    part.unlink()
                removed.append(part)
    return removed


def can_create_in(folder: Path) -> bool:
    """True when a file can really be created in the existing directory `folder`.

    A real probe, not permission bits: root ignores them, and read-only mounts ignore root.
    """
    probe = folder / f".cnnlib-probe.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink()
    return True


def writable_dir(path: Path) -> str | None:
    """None if `path` is (or can be made) a writable directory, else why not."""
    if path.exists() and not path.is_dir():
        return "it is a file, not a directory"
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is a file, not a directory"
    if not can_create_in(probe):
        return "it is read-only" if probe == path else f"{probe} is read-only"
    return None
