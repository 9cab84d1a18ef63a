"""The files in deploy/ checked statically: every command they run is a `keryx` subcommand
whose parser accepts those options, every variable they set is one the settings read, the
compose file has the shape the docs promise, and the proxy examples set the headers
KERYX_PROXY_HEADERS trusts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SETTINGS_SOURCE = (ROOT / "keryx" / "settings.py").read_text()
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def check_keryx_command(argv: list[str]) -> str:
    """argv is `keryx SUB [options]`; fails unless SUB exists and its parser takes the options."""
    assert Path(argv[0]).name == "keryx", argv
    name, options = argv[1], argv[2:]
    commands = get_commands()
    assert name in commands, f"`keryx {name}` is not a command"
    command = load_command_class(commands[name], name)
    parser = command.create_parser("keryx", name)
    parser.parse_args(options)  # SystemExit (an argparse error) on an unknown option
    return name


def unit_lines(path: Path, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in path.read_text().splitlines()
            if line.startswith(f"{key}=")]


def read_by_settings(name: str) -> bool:
    if name == "DATABASE_URL":
        return '"DATABASE_URL"' in SETTINGS_SOURCE
    if re.fullmatch(r"KERYX_[A-Z0-9]+_(API_BASE|OAUTH_BASE|CLIENT_ID|CLIENT_SECRET)", name):
        return True  # KERYX_NETWORK_CONFIG builds these names per network
    return f'"{name}"' in SETTINGS_SOURCE


def test_the_systemd_units_run_keryx_subcommands_with_options_they_accept():
    assert {u.name for u in UNITS} == {"keryx-web.service", "keryx-worker@.service",
                                       "keryx-scheduler.service"}
    started = {}
    for unit in UNITS:
        (line,) = unit_lines(unit, "ExecStart")
        started[unit.name] = check_keryx_command(shlex.split(line))
        for line in unit_lines(unit, "ExecStartPre"):
            assert check_keryx_command(shlex.split(line)) == "migrate"
        assert unit_lines(unit, "Restart") == ["always"], unit.name
        assert unit_lines(unit, "EnvironmentFile") == ["/etc/keryx/keryx.env"]
    assert started == {"keryx-web.service": "web", "keryx-worker@.service": "worker",
                       "keryx-scheduler.service": "scheduler"}
    web = " ".join(unit_lines(DEPLOY / "systemd" / "keryx-web.service", "ExecStart"))
    assert " web " in web and "--host 127.0.0.1" in web


def test_the_environment_file_sets_only_variables_keryx_reads():
    names = [line.split("=", 1)[0].lstrip("#")
             for line in (DEPLOY / "systemd" / "keryx.env").read_text().splitlines()
             if re.match(r"#?[A-Z_]+=", line)]
    assert "DATABASE_URL" in names and "KERYX_SECRET_KEY_FILE" in names
    assert "KERYX_PROXY_HEADERS" in names
    assert [n for n in names if not read_by_settings(n)] == []


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    keryx = shutil.which("true")
    for unit in UNITS:
        name = unit.name.replace("@.", "@1.")
        text = unit.read_text().replace("/opt/keryx/.venv/bin/keryx", keryx)
        text = text.replace("EnvironmentFile=/etc/keryx/keryx.env",
                            f"EnvironmentFile={DEPLOY / 'systemd' / 'keryx.env'}")
        (tmp_path / name).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", *sorted(map(str, tmp_path.iterdir()))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "keryx" not in done.stderr, done.stderr


def test_the_compose_file_runs_postgresql_web_two_workers_and_a_scheduler():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    commands = {}
    for name, service in services.items():
        if name == "db":
            continue
        commands[name] = check_keryx_command(service["command"])
        env = service["environment"]
        assert [n for n in env if not read_by_settings(n)] == [], name
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert "KERYX_SECRET_KEY" in env and env["KERYX_PROXY_HEADERS"] == "true"
        assert "keryx-data:/var/lib/keryx" in service["volumes"]
    assert commands == {"migrate": "migrate", "web": "web", "worker-1": "worker",
                        "worker-2": "worker", "scheduler": "scheduler"}
    # Distinct host names: the on-start reaping trusts one host name per set of processes.
    hostnames = [services[s]["hostname"] for s in ("worker-1", "worker-2", "scheduler")]
    assert len(set(hostnames)) == 3
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in ("web", "worker-1", "worker-2", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "postgresql-client" in dockerfile  # keryx backup needs pg_dump
    env_example = (DEPLOY / "compose.env.example").read_text()
    for required in re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yaml").read_text()):
        assert f"{required}=" in env_example, required


def test_the_proxy_examples_overwrite_the_headers_keryx_trusts_and_hide_metrics():
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx  # overwrite, not append
    assert "$proxy_add_x_forwarded_for" not in nginx
    assert "location = /metrics { return 404; }" in nginx
    assert "proxy_pass http://keryx_web;" in nginx and "server 127.0.0.1:8000;" in nginx
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert "header_up X-Forwarded-For {remote_host}" in caddy
    assert "header_up X-Forwarded-Proto {scheme}" in caddy
    assert "@metrics path /metrics" in caddy and "respond @metrics 404" in caddy
    assert "reverse_proxy 127.0.0.1:8000" in caddy
    for text in (nginx, caddy):
        assert "calendar/feed|invite|m" in text  # the secret-bearing paths masked in logs
