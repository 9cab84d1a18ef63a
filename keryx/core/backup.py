"""`keryx backup FILE` / `keryx restore FILE`: the database and the uploaded media in one
archive (a gzipped tar), taken while Keryx runs.

- SQLite: the sqlite3 online-backup API copies a consistent snapshot of the live database
  (WAL included) while the web and the workers go on writing.
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore --clean --if-exists`
  (the PostgreSQL client tools must be installed; a clear error says so otherwise).
- The media root (KERYX_DATA_DIR/media) goes in whole.
- The secret key, when it is the generated file in KERYX_DATA_DIR: stored channel credentials
  are encrypted with a key derived from it. The archive is therefore as secret as the key, and
  is written readable by its owner only. A key from KERYX_SECRET_KEY or KERYX_SECRET_KEY_FILE is
  the operator's to keep and is not included.

Restore refuses a database that already holds Keryx data unless told `--force`.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

FORMAT = 1
MANIFEST = "keryx-backup.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA_MEMBER = "media"
KEY_MEMBER = "secret.key"


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass
class Summary:
    engine: str
    media_files: int
    secret_key: bool
    size: int = 0


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _generated_key_file() -> Path | None:
    if os.environ.get("KERYX_SECRET_KEY") or os.environ.get("KERYX_SECRET_KEY_FILE"):
        return None
    path = Path(settings.DATA_DIR) / "secret.key"
    return path if path.is_file() else None


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of your "
            f"server's major version (Debian/Ubuntu: apt install postgresql-client).")
    return found


def _pg_args_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432),
            "--dbname", str(db["NAME"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")


def _snapshot_sqlite(target: Path) -> None:
    source = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=20)
    try:
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)  # the online-backup API: a consistent copy of a live database
        finally:
            dest.close()
    finally:
        source.close()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def backup(path: Path) -> Summary:
    engine = _engine()
    path = Path(path)
    media_root = Path(settings.MEDIA_ROOT)
    key_file = _generated_key_file()
    with tempfile.TemporaryDirectory(prefix="keryx-backup-") as work:
        work_dir = Path(work)
        if engine == "sqlite":
            dump, member = work_dir / SQLITE_MEMBER, SQLITE_MEMBER
            _snapshot_sqlite(dump)
        else:
            dump, member = work_dir / PG_MEMBER, PG_MEMBER
            args, env = _pg_args_env()
            _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(dump), *args], env)
        media_files = sum(1 for p in media_root.rglob("*") if p.is_file()) \
            if media_root.is_dir() else 0
        manifest = {"format": FORMAT, "engine": engine, "created_at": timezone.now().isoformat(),
                    "database": member, "media_files": media_files,
                    "secret_key": key_file is not None}
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
            archive.add(dump, arcname=member)
            if media_root.is_dir():
                archive.add(media_root, arcname=MEDIA_MEMBER)
            if key_file is not None:
                _add_bytes(archive, KEY_MEMBER, key_file.read_bytes())
        partial.replace(path)
    return Summary(engine, media_files, key_file is not None, path.stat().st_size)


def _holds_data() -> bool:
    return "django_migrations" in connection.introspection.table_names()


def restore(path: Path, *, force: bool = False) -> Summary:
    engine = _engine()
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    try:
        archive = tarfile.open(path, mode="r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a Keryx backup ({exc}).") from exc
    with archive, tempfile.TemporaryDirectory(prefix="keryx-restore-") as work:
        try:
            manifest = json.load(archive.extractfile(MANIFEST))  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError) as exc:
            raise BackupError(f"{path} is not a Keryx backup (no {MANIFEST}).") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path}: backup format {manifest.get('format')!r} is not "
                              f"supported by this version (expects {FORMAT}).")
        if manifest["engine"] != engine:
            raise BackupError(
                f"{path} holds a {manifest['engine']} database; this installation uses "
                f"{engine}. Restore it into a {manifest['engine']} installation, then move the "
                f"data with `keryx export` / `keryx import` or dumpdata/loaddata.")
        if _holds_data() and not force:
            raise BackupError("The database already holds Keryx data; restore into a fresh "
                              "location, or pass --force to replace it.")
        # The "data" filter refuses absolute paths, links out of the folder and device files.
        archive.extractall(work, filter="data")
        work_dir = Path(work)
        key = work_dir / KEY_MEMBER
        if key.is_file():
            _check_key(key)  # before anything is replaced
        if engine == "sqlite":
            _restore_sqlite(work_dir / manifest["database"])
        else:
            args, env = _pg_args_env()
            _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                  "--no-privileges", "--exit-on-error", "--single-transaction", *args,
                  str(work_dir / manifest["database"])], env)
        media = work_dir / MEDIA_MEMBER
        count = 0
        if media.is_dir():
            media_root = Path(settings.MEDIA_ROOT)
            media_root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(media, media_root, dirs_exist_ok=True)
            count = sum(1 for p in media.rglob("*") if p.is_file())
        with_key = key.is_file()
        if with_key:
            _restore_key(key)
    return Summary(engine, count, with_key)


def _restore_sqlite(snapshot: Path) -> None:
    connections.close_all()
    source = sqlite3.connect(str(snapshot))
    try:
        dest = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=20)
        try:
            source.backup(dest)  # page by page into the live file, its WAL kept consistent
        finally:
            dest.close()
    finally:
        source.close()


def _key_from_environment() -> bool:
    return bool(os.environ.get("KERYX_SECRET_KEY") or os.environ.get("KERYX_SECRET_KEY_FILE"))


def _check_key(key: Path) -> None:
    if _key_from_environment():
        if key.read_text().strip() != settings.SECRET_KEY:
            raise BackupError(
                "The backup's secret key differs from KERYX_SECRET_KEY / KERYX_SECRET_KEY_FILE "
                "of this installation: stored channel credentials could not be read. Set the "
                "variable to the backup's key (secret.key inside the archive).")


def _restore_key(key: Path) -> None:
    if _key_from_environment():
        return
    target = Path(settings.DATA_DIR) / "secret.key"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.read_bytes())
