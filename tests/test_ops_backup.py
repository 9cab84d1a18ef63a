"""`keryx backup` / `keryx restore` as an operator runs them: back up a running-size install
(a scheduled post with an image), restore into a fresh folder, and the restored install
publishes what was scheduled, with its image, through a worker of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.support.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database_urls() -> Iterator[tuple[str | None, str | None]]:
    """(None, None) on SQLite runs; on PostgreSQL runs (DATABASE_URL set) two new empty
    databases on the same server, the one backed up and the one restored into."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield None, None
        return
    import dj_database_url
    import psycopg
    from psycopg import sql

    parts = dj_database_url.parse(url)
    names = [f"keryx_ops_backup_{os.getpid()}_{side}" for side in ("old", "new")]
    admin = psycopg.connect(
        host=parts["HOST"] or "127.0.0.1", port=parts["PORT"] or 5432, user=parts["USER"],
        password=parts["PASSWORD"] or None, dbname=parts["NAME"], autocommit=True)
    try:
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        base = url.rsplit("/", 1)[0]
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        admin.close()


def env_for(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KERYX_", "DJANGO_")) and k != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(KERYX_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT),
               KERYX_ALLOWED_PRIVATE_HOSTS="127.0.0.1", KERYX_LOG_LEVEL="WARNING",
               KERYX_EXTRA_PROVIDERS="loopback=tests.support.loopback:LoopbackProvider")
    return env


def keryx(env: dict[str, str], *args: str, check: bool = True,
          timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "keryx.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


# The test network is loaded where the engine runs; `keryx post` on its own does not load it.
SCHEDULE = """
from django.core.management import call_command
from keryx.publishing.dispatcher import load_extra_providers
load_extra_providers()
from keryx.channels.models import Channel
from keryx.core.models import Workspace
Channel.objects.create(workspace=Workspace.objects.get(), network="loopback", name="Loop",
                       credentials={{"access_token": "{token}"}}, settings={{"url": "{url}"}})
call_command("post", "Restored and on time", "--to", "Loop", "--at", "{due}",
             "--media", "{image}", "--alt", "A red square")
"""


def test_a_backup_restored_into_a_fresh_folder_publishes_what_was_scheduled(
    tmp_path, database_urls
):
    old_db, new_db = database_urls
    engine = "postgresql" if old_db else "sqlite"
    old, new = tmp_path / "old", tmp_path / "new"
    image = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(image)
    with LoopbackServer() as server:
        env = env_for(old, old_db)
        keryx(env, "init", "--admin-password", "backup-Πρώτος-42")
        due = datetime.now(UTC) + timedelta(seconds=5)
        keryx(env, "shell", "-c", SCHEDULE.format(token=server.token, url=server.url,
                                                  due=due.isoformat(), image=image))
        archive = tmp_path / "keryx.tar.gz"
        made = keryx(env, "backup", str(archive))
        media_files = sorted(p.relative_to(old / "media")
                             for p in (old / "media").rglob("*") if p.is_file())
        assert media_files, "the post's image is stored under the media root"
        assert f"{len(media_files)} media file(s)" in made.stdout
        assert "with the secret key" in made.stdout
        assert archive.stat().st_mode & 0o077 == 0, "the archive holds the key: owner only"
        with tarfile.open(archive) as tar:
            names = tar.getnames()
            manifest = json.load(tar.extractfile("keryx-backup.json"))
        assert manifest["engine"] == engine and manifest["database"] in names
        assert "secret.key" in names

        # A fresh folder: its own (generated) key until the restore replaces it.
        env = env_for(new, new_db)
        done = keryx(env, "restore", str(archive))
        assert f"{len(media_files)} media file(s) and the secret key" in done.stdout
        assert sorted(p.relative_to(new / "media") for p in (new / "media").rglob("*")
                      if p.is_file()) == media_files
        assert (new / "secret.key").read_text() == (old / "secret.key").read_text()
        again = keryx(env, "restore", str(archive), check=False)
        assert again.returncode != 0 and "already holds Keryx data" in again.stderr
        listed = keryx(env, "posts", "list")
        assert "Restored and on time" in listed.stdout

        worker = subprocess.Popen([sys.executable, "-m", "keryx.cli", "worker"], env=env,
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not server.posts and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            worker.terminate()
            _out, err = worker.communicate(timeout=30)
        assert len(server.posts) == 1, err.decode()[-2000:]
    (post,) = server.posts.values()
    assert post["text"] == "Restored and on time"
    (media,) = post["media"]
    assert media["alt"] == "A red square"
    # The image the restored worker sent is the restored copy, byte for byte.
    sent = Path(media["path"])
    assert sent.is_relative_to(new / "media"), sent
    assert sent.read_bytes() == (old / "media" / sent.relative_to(new / "media")).read_bytes()


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    done = keryx(env_for(tmp_path / "d"), "restore", str(bogus), check=False)
    assert done.returncode != 0 and "is not a Keryx backup" in done.stderr
    done = keryx(env_for(tmp_path / "d"), "restore", str(tmp_path / "missing.tar.gz"),
                 check=False)
    assert done.returncode != 0 and "no such file" in done.stderr


def test_postgresql_backup_needs_pg_dump(tmp_path, monkeypatch):
    from keryx.core import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump was not found.*postgresql-client"):
        backup.pg_tool("pg_dump")
