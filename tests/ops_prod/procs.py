"""Real processes for the production tests: gunicorn, ``chatops run`` / ``chatops worker``, a Procfile's lines.

    web = Proc(["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"], env, log=tmp / "web.log").start()
    web.wait_http(port, "/healthz")
    web.signal(signal.SIGTERM); web.wait(30)

Each runs from the repository root with the test's environment (the suite's CHATOPS_TEST_DATABASE_URL is
not passed on); stdout and stderr go to separate files, so a test can parse every stderr line.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.faults.procs import REPO, get

BIN = Path(sys.executable).parent


def command_line(line: str) -> list[str]:
    """A Procfile command as argv, with its program taken from this virtualenv (``gunicorn`` → .venv/bin/gunicorn)."""
    argv = shlex.split(line)
    program = BIN / argv[0]
    return [str(program) if program.exists() else argv[0], *argv[1:]]


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], *, log: Path, name: str = "",
                 cwd: Path = REPO) -> None:
        self.argv = argv
        self.cwd = cwd
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.env.pop("CHATOPS_TEST_DATABASE_URL", None)
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log_path = log
        self.err_path = log.with_suffix(".err")
        self.name = name or Path(argv[0]).name
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Proc":
        with open(self.log_path, "a", encoding="utf-8") as out, open(self.err_path, "a", encoding="utf-8") as err:
            self.proc = subprocess.Popen(self.argv, cwd=str(self.cwd), env=self.env, stdout=out, stderr=err,
                                         start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_http(self, port: int, path: str = "/healthz", timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.alive():
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()[-4000:]}")
            try:
                if get(port, path, timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not answer {path} on {port}:\n{self.output()[-4000:]}")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def kill_group(self) -> None:
        """SIGKILL the process and every child it started (gunicorn's web processes)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)

    def kill_tree(self) -> None:
        """SIGKILL the process and everything below it, children in sessions of their own included (honcho's,
        `chatops run --workers`'), which :meth:`kill_group` does not reach: a failing test leaves nothing."""
        if self.proc is not None and self.proc.poll() is None:
            below = descendants(self.proc.pid)
            self.kill_group()
            for pid in below:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def stderr_lines(self) -> list[str]:
        return self.err_path.read_text(encoding="utf-8", errors="replace").splitlines() if self.err_path.exists() else []

    def output(self) -> str:
        parts = [p.read_text(encoding="utf-8", errors="replace") for p in (self.log_path, self.err_path) if p.exists()]
        return "\n".join(parts)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process from /proc, None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rpartition(")")[2].split()[:2]  # the name in parentheses may hold spaces
    return state, int(ppid)


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (exited, not yet reaped)."""
    found = _stat(pid)
    return found is not None and found[0] != "Z"


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``: its children, theirs, and so on."""
    below = children(pid)
    return below + [d for child in below for d in descendants(child)]


def cmdline(pid: int) -> list[str]:
    try:
        return [part.decode() for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
    except OSError:
        return []


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    """Every line parsed as JSON (a line that is not is an AssertionError naming it)."""
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    return parsed
