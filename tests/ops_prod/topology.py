"""The Procfile, docker-compose.yml and the Dockerfile, read as data (for the tests that keep them in step)."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml

from tests.faults.procs import REPO

INFRA = {"postgres", "redis", "migrate"}  # compose services that are not Procfile processes


def procfile(path: Path = REPO / "Procfile") -> dict[str, str]:
    """Process type → command, as honcho and foreman read it (``name: command``, ``#`` comments)."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_-]+):\s*(.+)", line.strip())
        assert match, f"not a Procfile line: {line!r}"
        assert match.group(1) not in found, f"{match.group(1)} twice in the Procfile"
        found[match.group(1)] = match.group(2).strip()
    return found


def compose(path: Path = REPO / "docker-compose.yml") -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def process_type(service: str) -> str:
    """``web-2`` → ``web``: a compose service runs the Procfile process its name starts with."""
    return re.sub(r"-\d+$", "", service)


def command_of(service: dict) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def dockerfile_cmd(path: Path = REPO / "Dockerfile") -> list[str]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("CMD ")]
    assert len(lines) == 1, lines
    return json.loads(lines[0][4:])
