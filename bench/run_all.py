"""Run every benchmark, each on a fresh database, and print the figures (`make bench`).

    .venv/bin/python bench/run_all.py            # the recorded run (docs/performance.md)
    .venv/bin/python bench/run_all.py --quick    # smaller, for development
    .venv/bin/python bench/run_all.py --no-postgres

1. precision, SQLite, one `keryx worker` process: 1,000 posts due over 60 s;
2. throughput, SQLite, one worker process: 5,000 targets due at once, next to a bare client;
3. throughput, PostgreSQL, four worker processes of 16 threads (a database created for the
   run, then dropped; BENCH_POSTGRES_URL names the server, default
   postgres://postgres@127.0.0.1:5432).

Each run checks that the server saw every target's idempotency key exactly once and that every
target ended published; the exit status is non-zero if any did not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
# Engine tuning knobs pass through, so a run can try other settings; everything else KERYX_*
# comes from here.
# Four workers x 32 threads (the default) would need more connections than PostgreSQL's default
# max_connections (100) allows; 4 x 16 leaves room for the dispatchers and task threads.
PG_THREADS = 16
PASS_THROUGH = ("KERYX_WORKER_THREADS", "KERYX_CLAIM_BATCH", "KERYX_POLL_INTERVAL")


def scenario_env(name: str, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("KERYX_") and k not in PASS_THROUGH) and k != "DATABASE_URL"}
    data = OUT / name
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env["KERYX_DATA_DIR"] = str(data)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@contextmanager
def postgres_database(server_url: str):
    """A database for this run on the PostgreSQL server; dropped afterwards."""
    import psycopg

    name = f"keryx_bench_{os.getpid()}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(name: str, script: str, args: list[str], database_url: str | None = None,
        timeout: float = 1200) -> dict:
    result_file = OUT / f"{name}.json"
    result_file.unlink(missing_ok=True)
    command = [sys.executable, str(ROOT / "bench" / script), *args, "--json", str(result_file)]
    print(f"\n$ {' '.join(command[1:])}", flush=True)
    code = subprocess.run(command, cwd=ROOT, env=scenario_env(name, database_url),
                          timeout=timeout).returncode
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    result["exit_code"] = code
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for development")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    OUT.mkdir(parents=True, exist_ok=True)
    # The machine may be shared: the load says how much else competed for its cores.
    load_before = os.getloadavg()

    results = [
        run("precision-sqlite", "precision.py", quick),
        run("throughput-sqlite", "throughput.py", [*quick, "--workers", "1"]),
    ]
    if not args.no_postgres:
        server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
        with postgres_database(server.rstrip("/")) as url:
            results.append(run("throughput-postgresql", "throughput.py",
                               [*quick, "--workers", "4", "--threads", str(PG_THREADS)],
                               database_url=url))

    load = f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    print("\nSummary", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
          "(quick)" if args.quick else "", f"({os.cpu_count()} CPUs, {load})")
    for r in results:
        check = r.get("check", {})
        tail = (f"duplicates {check.get('duplicates')}, lost {check.get('lost')}, "
                f"exit {r['exit_code']}")
        if r.get("scenario") == "precision":
            late = r.get("lateness_s", {})
            print(f"  precision  {r['database']:10} 1 worker : " + ", ".join(
                f"{k} {v * 1000:.0f} ms" for k, v in late.items() if k != "min") + f"; {tail}")
        elif r.get("scenario") == "throughput":
            print(f"  throughput {r['database']:10} {r['workers']} worker(s): "
                  f"keryx {r['keryx_rate']:.0f}/s, bare aiohttp {r['bare_rate']:.0f}/s, "
                  f"ratio {r['ratio']:.0%}; {tail}")
        else:
            print(f"  a run failed before reporting; {tail}")
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    return 0 if all(r["exit_code"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
