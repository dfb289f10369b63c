"""Buckets on local disk: each bucket a directory, each object a plain file named
by its key, and what S3 keeps beside an object (ETag, content type, user metadata)
in one SQLite index in the data dir, out of the way of the files.

The index is also the memory of what has been seen: a file whose size or mtime
differs from its row was written by someone else (a camera, ``cp``) and is an
upload too. Every change that a bucket's notification configuration matches is
written to the outbox in the same transaction as the index row, so a change is
never lost between "stored" and "delivered"; whoever drains the outbox (the
server's async queue, or the embedded dispatcher) deletes a row only once it has
handed the event on. Uploads in flight are written to a scratch folder on the
same file system (``buckets/.scratch/<bucket>/`` for buckets in the data dir,
``<dir>/.wasmhost/`` for attached directories) and renamed into place, so readers
and watchers never see half an object."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import mimetypes
import os
import shutil
import sqlite3
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..backends.shared import ChangeSignal, ProcessLock
from . import events
from .errors import BucketError
from .names import META_DIR, check_bucket_name, check_key, key_path, path_key

log = logging.getLogger("wasmhost.buckets")

MIN_PART = 5 * 1024 * 1024  # S3: every part but the last
_NEW = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
MAX_PARTS = 10_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, path TEXT, created REAL NOT NULL,
    notification TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS objects (bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, etag TEXT NOT NULL, content_type TEXT NOT NULL, meta TEXT NOT NULL,
    PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,
    content_type TEXT NOT NULL, meta TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS parts (upload TEXT NOT NULL, number INTEGER NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, PRIMARY KEY (upload, number)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT NOT NULL,
    payload BLOB NOT NULL, created REAL NOT NULL);
"""


@dataclass
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # unquoted, as stored: "<md5 hex>" or "<hex>-<parts>"
    modified: float  # the file's mtime
    content_type: str
    metadata: dict[str, str] = field(default_factory=dict)
    path: str = ""  # the file


class ObjectWriter:
    """A new object's bytes on their way to disk: a temporary file in the bucket's
    scratch folder (same file system, so the final rename is atomic), MD5 as it goes."""

    def __init__(self, folder: str, name: str, bucket: str, key: str) -> None:
        self.bucket, self.key, self.name = bucket, key, name  # name: in the scratch folder
        self.tmp = tmp = f"{folder}/{name}"
        try:
            self.fd = os.open(tmp, _NEW, 0o644)  # unbuffered: bodies arrive in large pieces, or in one
        except FileNotFoundError:  # the first upload into this scratch folder
            os.makedirs(os.path.dirname(tmp), exist_ok=True)
            self.fd = os.open(tmp, _NEW, 0o644)
        self.md5 = hashlib.md5()
        self.size = 0
        self.mtime_ns = 0

    def write(self, data: bytes) -> None:
        self.raw_write(data)
        self.md5.update(data)
        self.size += len(data)

    def raw_write(self, data: bytes | memoryview) -> None:
        """Bytes to the file only (multipart's parts, whose digests are known)."""
        while data:
            data = memoryview(data)[os.write(self.fd, data):]

    def close(self) -> None:
        """Close; ``mtime_ns`` is the file's (a rename keeps it)."""
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            try:
                self.mtime_ns = os.fstat(fd).st_mtime_ns
            finally:
                os.close(fd)

    def abort(self) -> None:
        self.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


class Buckets:
    """The bucket store. Thread-safe: the server's event loop, its executor threads
    and the directory watcher's thread all use it."""

    def __init__(self, data_dir: str | Path, *, region: str = "us-east-1",
                 function_exists: Callable[[str], bool] = lambda arn: True) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "buckets"
        self.root.mkdir(parents=True, exist_ok=True)
        self.region = region
        self.function_exists = function_exists
        self.on_outbox: Callable[[], None] | None = None  # told (from any thread) when the outbox grew
        self.on_bucket: Callable[[str], None] | None = None  # told when a bucket is created or attached
        self.on_bucket_deleted: Callable[[str], None] | None = None
        # held across worker processes too: another worker's watcher must not see a rename before its row
        self._lock = ProcessLock(self.data_dir / "buckets.lock")
        self._db = sqlite3.connect(self.data_dir / "buckets.sqlite", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._dirs: dict[str, Path] = {}
        self._owned: set[str] = set()  # in the data dir (not attached with --bucket NAME=DIR)
        self._configs: dict[str, dict[str, Any]] = {}
        self._tmp: dict[str, str] = {}  # bucket -> its scratch folder for uploads in flight
        self._names = itertools.count()  # of those uploads' files (with the pid: workers share the folder)
        self._prefix = f"{os.getpid()}-"
        # bucket -> open (scratch folder, bucket directory) of a bucket in the data dir: the rename
        # that puts an upload in place walks no paths. Used, opened and closed with the lock held.
        self._dir_fds: dict[str, tuple[int, int]] = {}
        # path -> (size, mtime_ns) of the files this process just put in place: the watcher
        # recognises the echo of our own rename without a query (``own``); bounded
        self._recent: dict[str, tuple[int, int]] = {}
        # the worker processes of one server (serve --workers) share this store: a bucket or a
        # notification configuration written by one is read again by the others before use
        self._changes = ChangeSignal(self.data_dir / "buckets.changes")
        self._load()

    def _load(self) -> None:
        dirs, owned, configs = {}, set(), {}
        for name, path, notification in self._db.execute("SELECT name, path, notification FROM buckets"):
            dirs[name] = Path(path) if path else self.root / name
            if not path:
                owned.add(name)
            configs[name] = json.loads(notification)
        self._dirs, self._owned, self._configs = dirs, owned, configs
        self._tmp = {}
        self._close_dir_fds()

    def _close_dir_fds(self, bucket: str | None = None) -> None:
        """Forget the open folders of one bucket, or of all (lock held, or no other thread yet)."""
        for name in [bucket] if bucket is not None else list(self._dir_fds):
            for fd in self._dir_fds.pop(name, ()):
                os.close(fd)

    def _fresh(self) -> None:
        """Another process created, deleted or configured a bucket: read the table
        again, and have this process's watcher follow (``on_bucket``...)."""
        if not self._changes.moved():
            return
        with self._lock:
            before = self._dirs
            self._load()
            after = self._dirs
        for name in after.keys() - before.keys():
            if self.on_bucket:
                self.on_bucket(name)
        for name in before.keys() - after.keys():
            if self.on_bucket_deleted:
                self.on_bucket_deleted(name)

    def close(self) -> None:
        with self._lock:
            self._close_dir_fds()
            self._db.close()
        self._lock.close()

    # -- buckets ----------------------------------------------------------------
    def create_bucket(self, name: str) -> None:
        check_bucket_name(name)
        with self._lock:
            if name in self._dirs:
                raise BucketError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket "
                                  "succeeded and you already own it.", BucketName=name)
            path = self.root / name
            path.mkdir(parents=True, exist_ok=True)
            self._db.execute("INSERT INTO buckets (name, path, created) VALUES (?, NULL, ?)", (name, time.time()))
            self._dirs[name], self._configs[name] = path, {}
            self._owned.add(name)
        self._changes.bump()
        if self.on_bucket:
            self.on_bucket(name)

    def attach(self, name: str, directory: str | Path) -> Path:
        """Make a directory this store does not own a bucket (``--bucket photos=/srv/camera``).
        Files already there are reconciled by whoever watches it."""
        check_bucket_name(name)
        path = Path(directory).resolve()
        if not path.is_dir():
            raise BucketError("InvalidArgument", f"{directory} is not a directory", BucketName=name)
        with self._lock:
            if self._dirs.get(name) != path:
                self._db.execute("INSERT INTO buckets (name, path, created) VALUES (?, ?, ?) ON CONFLICT(name) "
                                 "DO UPDATE SET path = excluded.path", (name, str(path), time.time()))
                self._dirs[name] = path
                self._owned.discard(name)
                self._tmp.pop(name, None)
                self._close_dir_fds(name)
                self._configs.setdefault(name, {})
                self._changes.bump()
        if self.on_bucket:
            self.on_bucket(name)
        return path

    def bucket_dir(self, name: str) -> Path:
        self._fresh()
        try:
            return self._dirs[name]
        except KeyError:
            raise BucketError("NoSuchBucket", "The specified bucket does not exist", BucketName=name) from None

    def bucket_names(self) -> dict[str, Path]:
        self._fresh()
        return self._dirs  # read without the lock: a dict lookup is atomic

    def list_buckets(self) -> list[tuple[str, float]]:
        with self._lock:
            return list(self._db.execute("SELECT name, created FROM buckets ORDER BY name"))

    def delete_bucket(self, name: str) -> None:
        """Only when empty, as S3. An attached directory stays where it is."""
        with self._lock:
            path = self.bucket_dir(name)
            if self._db.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                raise BucketError("BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=name)
            owned = self._db.execute("SELECT path IS NULL FROM buckets WHERE name = ?", (name,)).fetchone()[0]
            ids = [r[0] for r in self._db.execute("SELECT id FROM uploads WHERE bucket = ?", (name,))]
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM buckets WHERE name = ?", (name,))
            self._db.executemany("DELETE FROM parts WHERE upload = ?", [(i,) for i in ids])
            self._db.execute("DELETE FROM uploads WHERE bucket = ?", (name,))
            self._db.execute("COMMIT")
            scratch = self._scratch(name)
            del self._dirs[name], self._configs[name]
            self._owned.discard(name)
            self._tmp.pop(name, None)
            self._close_dir_fds(name)
        self._changes.bump()
        if self.on_bucket_deleted:
            self.on_bucket_deleted(name)
        shutil.rmtree(scratch, ignore_errors=True)
        if owned:
            shutil.rmtree(path, ignore_errors=True)

    def notification(self, name: str) -> dict[str, Any]:
        self.bucket_dir(name)
        return self._configs[name]

    def put_notification(self, name: str, config: dict[str, Any]) -> None:
        self.bucket_dir(name)
        stored = events.validate(config, self.function_exists)
        with self._lock:
            self._db.execute("UPDATE buckets SET notification = ? WHERE name = ?", (json.dumps(stored), name))
            self._configs[name] = stored
        self._changes.bump()

    def _scratch(self, bucket: str) -> Path:
        """Where uploads in flight live: on the bucket's file system (the final rename
        is atomic) and, for buckets in the data dir, outside the watched tree."""
        root = self.bucket_dir(bucket)
        return self.root / ".scratch" / bucket if bucket in self._owned else root / META_DIR

    # -- objects ----------------------------------------------------------------
    def writer(self, bucket: str, key: str) -> ObjectWriter:
        check_key(key)
        self._fresh()
        folder = self._tmp.get(bucket)
        if folder is None:
            folder = self._tmp[bucket] = f"{self._scratch(bucket)}/tmp"
        return ObjectWriter(folder, f"{self._prefix}{next(self._names)}", bucket, key)

    def own(self, path: str) -> bool:
        """Whether a rename into ``path`` is one this process made (the watcher's echo of
        our own upload): consumed by the asking. No stat is needed: we write nothing
        in a bucket's directory but that rename, and a change another program makes
        after it is an event of its own (a close after writing, a rename), asked anew."""
        return self._recent.pop(path, None) is not None

    def commit(self, w: ObjectWriter, *, content_type: str | None = None, metadata: dict[str, str] | None = None,
               event: str = "ObjectCreated:Put", etag: str | None = None, source_ip: str = "127.0.0.1",
               request_id: str = "") -> ObjectInfo:
        """Put the written bytes in place under the key, index them and write the
        notifications down, all before the caller answers."""
        (done,) = self.commit_many([(w, dict(content_type=content_type, metadata=metadata, event=event, etag=etag,
                                             source_ip=source_ip, request_id=request_id))])
        if isinstance(done, BaseException):
            raise done
        return done

    def commit_many(self, batch: list[tuple[ObjectWriter, dict[str, Any]]]) -> list[ObjectInfo | BaseException]:
        """``commit`` for several writers at once (group commit: the server's PutObjects
        of one event-loop turn): each put in place, then all their rows and notifications
        in one SQLite transaction, under one hold of the lock. Returns each writer's
        object, or what stopped it (the others go on); if the transaction fails, every
        object of the batch gets its error (the files are in place; the next rescan
        indexes them as files written by others).

        Durability: an answered PutObject's file and row are in the operating system's
        hands (renamed into place; SQLite WAL with synchronous=NORMAL), so a crash of the
        process loses nothing answered. Neither is fsynced per request: a power loss or
        kernel crash can lose the uploads of the last moments (SQLite syncs its WAL at
        each checkpoint), as with MinIO's or a local file system's defaults."""
        results: list[ObjectInfo | BaseException] = []
        placed: list[tuple[ObjectInfo, int, events.Change | None]] = []
        with self._lock:  # the watcher must not see a rename before its row
            configs = self._configs
            for w, kw in batch:
                try:
                    info = self._place(w, kw.get("etag"), kw.get("content_type"), kw.get("metadata"))
                except Exception as e:  # a collision, a bucket deleted meanwhile, the disk
                    results.append(e)
                    continue
                results.append(info)
                change = events.Change(w.bucket, w.key, kw.get("event") or "ObjectCreated:Put", w.size, info.etag,
                                       kw.get("source_ip") or "127.0.0.1", kw.get("request_id") or "") \
                    if configs.get(w.bucket) else None  # nothing to notify: no change to describe
                placed.append((info, w.mtime_ns, change))
            if not placed:
                return results
            try:
                notified = self._record_many(placed)
            except Exception as e:
                return [e if isinstance(r, ObjectInfo) else r for r in results]
        if notified and self.on_outbox:
            self.on_outbox()
        return results

    def _place(self, w: ObjectWriter, etag: str | None, content_type: str | None,
               metadata: dict[str, str] | None) -> ObjectInfo:
        """Rename a writer's file into place (lock held); the writer is aborted if it cannot be."""
        w.close()
        try:
            root = self.bucket_dir(w.bucket)
        except BucketError:  # deleted meanwhile
            w.abort()
            raise
        target = f"{root}/{w.key}"  # the key was checked by writer()
        info = ObjectInfo(w.bucket, w.key, w.size, etag or w.md5.hexdigest(), w.mtime_ns / 1e9,
                          content_type or "binary/octet-stream", metadata or {}, target)
        try:
            if "/" in w.key:  # top-level keys need neither (the bucket root is a real directory)
                parent = Path(target).parent
                parent.mkdir(parents=True, exist_ok=True)
                self._confined(root, parent, w.key)
            recent = self._recent
            recent[target] = (w.size, w.mtime_ns)
            if len(recent) > 4096:  # nobody watches (or the events were lost): forget the oldest
                del recent[next(iter(recent))]
            self._rename(w, root, target)
        except BucketError:
            w.abort()
            raise
        except (NotADirectoryError, IsADirectoryError, FileExistsError):
            w.abort()
            raise BucketError("InvalidArgument", f"wasmhost keeps objects as plain files and {w.key!r} collides "
                              "with an existing object or prefix (a key cannot be both a file and a folder).",
                              Key=w.key) from None
        except BaseException:
            w.abort()
            raise
        return info

    def _rename(self, w: ObjectWriter, root: Path, target: str) -> None:
        """The upload's file into place (lock held): through the open folders for a bucket
        in the data dir, by path for an attached directory (which its owner may move)."""
        if w.bucket not in self._owned:
            os.replace(w.tmp, target)
            return
        fds = self._dir_fds.get(w.bucket)
        if fds is None:
            src = os.open(os.path.dirname(w.tmp), _DIR)
            try:
                fds = self._dir_fds[w.bucket] = src, os.open(root, _DIR)
            except BaseException:
                os.close(src)
                raise
        try:
            os.replace(w.name, w.key, src_dir_fd=fds[0], dst_dir_fd=fds[1])
        except FileNotFoundError:  # a folder was deleted and made again (another worker): by path this once
            self._close_dir_fds(w.bucket)
            os.replace(w.tmp, target)

    def _record(self, info: ObjectInfo, mtime_ns: int, change: events.Change) -> None:
        """One index row and its notifications (lock held)."""
        if self._record_many([(info, mtime_ns, change)]) and self.on_outbox:
            self.on_outbox()

    def _record_many(self, placed: list[tuple[ObjectInfo, int, events.Change | None]]) -> int:
        """Index rows and their notifications in one transaction (lock held); returns
        how many notifications were written."""
        rows = [(i.bucket, i.key, i.size, m, i.etag, i.content_type, json.dumps(i.metadata) if i.metadata else "{}")
                for i, m, _ in placed]
        configs = self._configs
        if len(rows) == 1 and not configs.get(rows[0][0]):  # one statement is one transaction
            self._db.execute("INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?)", rows[0])
            return 0
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?)", rows)
            notified = sum(self._outbox(change) for _, _, change in placed if change is not None)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return notified

    def _outbox(self, change: events.Change) -> int:
        config = self._configs.get(change.bucket)
        if not config:
            return 0
        hits = events.matches(config, change)
        if hits:
            now, seq = time.time(), events.sequencer()
            self._db.executemany("INSERT INTO outbox (function, payload, created) VALUES (?,?,?)",
                                 [(arn, events.record(change, cid, self.region, now, seq), now) for cid, arn in hits])
        return len(hits)

    def head(self, bucket: str, key: str) -> ObjectInfo:
        root = self.bucket_dir(bucket)
        with self._lock:
            row = self._db.execute("SELECT size, mtime_ns, etag, content_type, meta FROM objects WHERE bucket = ? "
                                   "AND key = ?", (bucket, key)).fetchone()
        if row is None:
            raise BucketError("NoSuchKey", "The specified key does not exist.", Key=key)
        size, mtime_ns, etag, ctype, meta = row
        path = key_path(root, key)
        if "/" in key or path.is_symlink():
            self._confined(root, path, key)
        return ObjectInfo(bucket, key, size, etag, mtime_ns / 1e9, ctype, json.loads(meta), str(path))

    @staticmethod
    def _confined(root: Path, path: Path, key: str) -> None:
        """A symlink planted in a bucket directory must not lead reads or writes
        outside it."""
        if not path.resolve().is_relative_to(_real(root)):
            raise BucketError("AccessDenied", f"{key!r} leads outside its bucket (a symbolic link).", Key=key)

    def delete(self, bucket: str, key: str, *, source_ip: str = "127.0.0.1", request_id: str = "") -> None:
        """S3 answers 204 whether or not the key existed; only an existing one notifies."""
        root = self.bucket_dir(bucket)
        with self._lock:
            if self._db.execute("SELECT 1 FROM objects WHERE bucket = ? AND key = ?", (bucket, key)).fetchone() is None:
                return
            path = key_path(root, key)
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            self._forget(bucket, key, events.Change(bucket, key, "ObjectRemoved:Delete", source_ip=source_ip,
                                                    request_id=request_id))
            _prune(root, path.parent)

    def _forget(self, bucket: str, key: str, change: events.Change) -> None:
        self._db.execute("BEGIN")
        self._db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))
        notified = self._outbox(change)
        self._db.execute("COMMIT")
        if notified and self.on_outbox:
            self.on_outbox()

    def list_objects(self, bucket: str, prefix: str = "", delimiter: str = "", after: str = "",
             skip_prefix: str = "") -> Iterator[tuple[str, ObjectInfo | None]]:
        """(key, info) in UTF-8 byte order, or (common prefix, None) once per common
        prefix; starts after ``after`` and past everything under ``skip_prefix``."""
        self.bucket_dir(bucket)
        start = max(prefix, after)
        last_cp = skip_prefix or None
        while True:
            with self._lock:
                rows = self._db.execute("SELECT key, size, mtime_ns, etag, content_type FROM objects WHERE bucket = ? "
                                        "AND key >= ? ORDER BY key LIMIT 1000", (bucket, start)).fetchall()
            for key, size, mtime_ns, etag, ctype in rows:
                if key <= after or (last_cp and key.startswith(last_cp)):
                    continue
                if not key.startswith(prefix):
                    return
                if delimiter:
                    cut = key.find(delimiter, len(prefix))
                    if cut >= 0:
                        last_cp = key[:cut + len(delimiter)]
                        yield last_cp, None
                        continue
                yield key, ObjectInfo(bucket, key, size, etag, mtime_ns / 1e9, ctype)
            if len(rows) < 1000:
                return
            start = rows[-1][0] + "\0"

    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str, *, metadata: dict[str, str] | None,
             content_type: str | None, source_ip: str = "127.0.0.1", request_id: str = "") -> ObjectInfo:
        """Blocking (reads and writes the whole object): run it off the event loop.
        ``metadata=None`` keeps the source's (MetadataDirective COPY)."""
        src = self.head(src_bucket, src_key)
        w = self.writer(dst_bucket, dst_key)
        copy_range(src.path, w, 0, src.size - 1, src_key)
        return self.commit(w, content_type=content_type or src.content_type,
                           metadata=src.metadata if metadata is None else metadata, event="ObjectCreated:Copy",
                           source_ip=source_ip, request_id=request_id)

    # -- multipart uploads --------------------------------------------------------
    def create_upload(self, bucket: str, key: str, content_type: str | None, metadata: dict[str, str]) -> str:
        self.bucket_dir(bucket)
        check_key(key)
        upload = uuid.uuid4().hex
        with self._lock:
            self._db.execute("INSERT INTO uploads VALUES (?,?,?,?,?,?)", (upload, bucket, key,
                             content_type or "binary/octet-stream", json.dumps(metadata), time.time()))
        return upload

    def upload(self, bucket: str, key: str, upload: str) -> dict[str, Any]:
        self.bucket_dir(bucket)
        with self._lock:
            row = self._db.execute("SELECT content_type, meta, created FROM uploads WHERE id = ? AND bucket = ? "
                                   "AND key = ?", (upload, bucket, key)).fetchone()
        if row is None:
            raise BucketError("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or "
                              "the upload may have been aborted or completed.", UploadId=upload)
        return {"content_type": row[0], "metadata": json.loads(row[1]), "created": row[2]}

    def _part_path(self, bucket: str, upload: str, number: int) -> Path:
        return self._scratch(bucket) / "uploads" / upload / str(number)

    def part_writer(self, bucket: str, key: str, upload: str, number: int) -> ObjectWriter:
        self.upload(bucket, key, upload)
        if not 1 <= number <= MAX_PARTS:
            raise BucketError("InvalidArgument", f"Part number must be an integer between 1 and {MAX_PARTS}, "
                              "inclusive", ArgumentName="partNumber", ArgumentValue=str(number))
        return self.writer(bucket, key)

    def commit_part(self, w: ObjectWriter, upload: str, number: int) -> str:
        w.close()
        dest = self._part_path(w.bucket, upload, number)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(w.tmp, dest)
        etag = w.md5.hexdigest()
        with self._lock:
            if self._db.execute("SELECT 1 FROM uploads WHERE id = ?", (upload,)).fetchone() is None:
                dest.unlink(missing_ok=True)  # aborted meanwhile
                raise BucketError("NoSuchUpload", "The specified upload does not exist.", UploadId=upload)
            self._db.execute("INSERT OR REPLACE INTO parts VALUES (?,?,?,?)", (upload, number, w.size, etag))
        return etag

    def parts(self, upload: str) -> list[tuple[int, int, str]]:
        with self._lock:
            return list(self._db.execute("SELECT number, size, etag FROM parts WHERE upload = ? ORDER BY number",
                                         (upload,)))

    def list_uploads(self, bucket: str) -> list[tuple[str, str, float]]:
        self.bucket_dir(bucket)
        with self._lock:
            return list(self._db.execute("SELECT key, id, created FROM uploads WHERE bucket = ? ORDER BY key, created",
                                         (bucket,)))

    def complete_upload(self, bucket: str, key: str, upload: str, chosen: list[tuple[int, str]], *,
                        source_ip: str = "127.0.0.1", request_id: str = "") -> ObjectInfo:
        """Blocking (concatenates the parts): run it off the event loop. The ETag is
        S3's: MD5 of the parts' binary MD5s, then "-<number of parts>"."""
        meta = self.upload(bucket, key, upload)
        have = {n: (size, etag) for n, size, etag in self.parts(upload)}
        if not chosen:
            raise BucketError("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                              "our published schema")
        numbers = [n for n, _ in chosen]
        if numbers != sorted(set(numbers)):
            raise BucketError("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must "
                              "be specified in order by part number.")
        for i, (n, etag) in enumerate(chosen):
            if n not in have or etag.strip('"') != have[n][1]:
                raise BucketError("InvalidPart", "One or more of the specified parts could not be found. The part "
                                  "may not have been uploaded, or the specified entity tag may not have matched the "
                                  "part's entity tag.", UploadId=upload, PartNumber=str(n), ETag=etag)
            if i < len(chosen) - 1 and have[n][0] < MIN_PART:
                raise BucketError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object "
                                  "size.", ProposedSize=str(have[n][0]), MinSizeAllowed=str(MIN_PART),
                                  PartNumber=str(n), ETag=etag)
        w = self.writer(bucket, key)
        digests = hashlib.md5()
        try:
            for n, _ in chosen:
                with open(self._part_path(bucket, upload, n), "rb") as f:
                    while chunk := f.read(1 << 20):
                        w.raw_write(chunk)
                w.size += have[n][0]
                digests.update(bytes.fromhex(have[n][1]))
        except BaseException:
            w.abort()
            raise
        info = self.commit(w, content_type=meta["content_type"], metadata=meta["metadata"],
                           event="ObjectCreated:CompleteMultipartUpload",
                           etag=f"{digests.hexdigest()}-{len(chosen)}", source_ip=source_ip, request_id=request_id)
        self._drop_upload(bucket, upload)
        return info

    def abort_upload(self, bucket: str, key: str, upload: str) -> None:
        self.upload(bucket, key, upload)
        self._drop_upload(bucket, upload)

    def _drop_upload(self, bucket: str, upload: str) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM parts WHERE upload = ?", (upload,))
            self._db.execute("DELETE FROM uploads WHERE id = ?", (upload,))
            self._db.execute("COMMIT")
        shutil.rmtree(self._scratch(bucket) / "uploads" / upload, ignore_errors=True)

    # -- files written by others --------------------------------------------------
    def seen(self, bucket: str, path: Path) -> bool | None:
        """A file in the bucket's directory looks complete (the watcher decides when):
        index it, and notify if it is new or changed. Returns False if the file
        changed while it was being hashed (ask again later), None if there is
        nothing to do (ours, unchanged, gone, or no object)."""
        root = self.bucket_dir(bucket)
        key = path_key(root, path)
        if key is None:
            return None
        try:
            check_key(key)
            st = path.lstat()
            self._confined(root, path.parent, key)
        except (BucketError, OSError):
            return None
        if not stat.S_ISREG(st.st_mode) or self._unchanged(bucket, key, st):  # symlinks are not objects
            return None
        md5 = hashlib.md5()
        try:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    md5.update(chunk)
            after = path.stat()
        except OSError:
            return None
        if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
            return False
        ctype = mimetypes.guess_type(key)[0] or "binary/octet-stream"
        with self._lock:
            if self._unchanged(bucket, key, after):  # committed through the API meanwhile
                return None
            info = ObjectInfo(bucket, key, st.st_size, md5.hexdigest(), st.st_mtime, ctype, {}, str(path))
            self._record(info, st.st_mtime_ns, events.Change(bucket, key, "ObjectCreated:Put", st.st_size, info.etag))
        return True

    def _unchanged(self, bucket: str, key: str, st: os.stat_result) -> bool:
        with self._lock:
            row = self._db.execute("SELECT size, mtime_ns FROM objects WHERE bucket = ? AND key = ?",
                                   (bucket, key)).fetchone()
        return row is not None and tuple(row) == (st.st_size, st.st_mtime_ns)

    def gone(self, bucket: str, path: Path) -> None:
        """A file vanished from the directory (``rm`` by someone else)."""
        root = self.bucket_dir(bucket)
        key = path_key(root, path)
        if key is None:
            return
        with self._lock:
            if path.exists() or self._db.execute("SELECT 1 FROM objects WHERE bucket = ? AND key = ?",
                                                 (bucket, key)).fetchone() is None:
                return
            self._forget(bucket, key, events.Change(bucket, key, "ObjectRemoved:Delete"))

    def differences(self, bucket: str) -> tuple[list[tuple[Path, float]], list[Path]]:
        """Compare the directory with the index: files new or changed (with their
        mtime), and indexed files that are no longer there."""
        root = self.bucket_dir(bucket)
        with self._lock:
            known = {k: (s, m) for k, s, m in self._db.execute(
                "SELECT key, size, mtime_ns FROM objects WHERE bucket = ?", (bucket,))}
        changed: list[tuple[Path, float]] = []
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath == str(root) and META_DIR in dirnames:
                dirnames.remove(META_DIR)
            for name in filenames:
                p = Path(dirpath, name)
                key = path_key(root, p)
                try:
                    st = p.lstat()
                except OSError:
                    continue
                if key is None or not stat.S_ISREG(st.st_mode):
                    continue
                if known.pop(key, None) != (st.st_size, st.st_mtime_ns):
                    changed.append((p, st.st_mtime))
        return changed, [root.joinpath(*k.split("/")) for k in known]

    # -- the outbox ---------------------------------------------------------------
    def pending(self, limit: int = 100) -> list[tuple[int, str, bytes]]:
        with self._lock:
            return list(self._db.execute("SELECT id, function, payload FROM outbox ORDER BY id LIMIT ?", (limit,)))

    def delivered(self, ids: list[int]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def pending_count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


def copy_range(path: str, w: ObjectWriter, start: int, end: int, key: str) -> None:
    """Bytes ``start..end`` (inclusive) of a stored object into a writer; blocking.
    The writer is aborted if anything fails."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0 and (chunk := f.read(min(left, 1 << 20))):
                w.write(chunk)
                left -= len(chunk)
    except FileNotFoundError:
        w.abort()
        raise BucketError("NoSuchKey", "The specified key does not exist.", Key=key) from None
    except BaseException:
        w.abort()
        raise


@functools.lru_cache(maxsize=256)
def _real(root: Path) -> Path:
    return root.resolve()


def _prune(root: Path, d: Path) -> None:
    """Remove folders left empty by a delete, as S3's prefixes vanish with their last key."""
    while d != root and root in d.parents:
        try:
            d.rmdir()
        except OSError:
            return
        d = d.parent
