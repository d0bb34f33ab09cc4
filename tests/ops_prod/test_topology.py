"""The Procfile, the compose file, the Dockerfile and `chatops run --workers N` describe one topology: the same
commands, the counts the docs promise (2 web, 2 workers, the Discord bot), a slim non-root image with a health
check."""
from __future__ import annotations

import shlex

from tests.faults.procs import REPO
from tests.ops_prod.topology import INFRA, command_of, compose, dockerfile_cmd, process_type, procfile


def test_every_compose_app_service_runs_its_procfile_command():
    processes = procfile()
    assert set(processes) == {"web", "worker", "discord"}
    services = compose()["services"]
    counts: dict[str, int] = {}
    for name, service in services.items():
        if name in INFRA:
            continue
        kind = process_type(name)
        assert kind in processes, f"compose service {name} runs no Procfile process"
        assert command_of(service) == shlex.split(processes[kind]), f"{name} differs from the Procfile's {kind}"
        counts[kind] = counts.get(kind, 0) + 1
    assert counts == {"web": 2, "worker": 2, "discord": 1}
    assert {"postgres", "redis"} <= set(services)


def test_chatops_run_workers_starts_the_procfiles_processes():
    from adapters.serve import PROCESSES

    assert PROCESSES == procfile()  # `chatops run --workers N` runs these lines (tests/ops_prod/test_run_workers.py)


def test_compose_runs_postgres_and_redis_and_keeps_metrics_behind_a_token():
    services = compose()["services"]
    env = services["web-1"]["environment"]
    assert env["CHATOPS_DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["CHATOPS_DATABASE_URL"]
    assert env["CHATOPS_HUEY_URL"].startswith("redis://redis:")
    assert env["CHATOPS_WORKERS"] == "0" and services["worker-1"]["environment"]["CHATOPS_WORKERS"] != "0"
    assert env["CHATOPS_METRICS"] == "on" and env["CHATOPS_METRICS_TOKEN"].startswith("${CHATOPS_METRICS_TOKEN:?")
    assert services["migrate"]["command"] == "chatops db upgrade"
    assert services["web-1"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_image_is_slim_non_root_with_a_health_check_and_runs_the_procfile_web():
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in text.splitlines()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    health = [line for line in text.splitlines() if line.startswith("HEALTHCHECK")]
    assert health and "/healthz" in text.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    assert dockerfile_cmd() == shlex.split(procfile()["web"])
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "tests"} <= set(ignored)
