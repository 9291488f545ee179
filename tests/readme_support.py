"""The machinery of ``tests/test_readme.py``: read the README's code blocks, lay out a fresh machine in a
temporary folder (the example files the README shows, written where it says), and run a block's commands
as written through bash, in the foreground or, for a server, in the background."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
MARK = "<<<readme-command "  # printed before each command, so that each command's output can be shown


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    lang: str
    text: str
    line: int  # of the opening fence, 1-based
    before: str  # the paragraph just above the block

    @property
    def commands(self) -> list[str]:
        """The command lines, continuation lines joined; blank and comment-only lines left out."""
        out: list[str] = []
        pending = ""
        for raw in self.text.splitlines():
            if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                continue
            pending += raw + "\n"
            if not raw.rstrip().endswith("\\"):
                out.append(pending.rstrip("\n"))
                pending = ""
        if pending:
            out.append(pending.rstrip("\n"))
        return out

    @property
    def target(self) -> str | None:
        """Where a file block is written: a YAML block's first-line comment ``# /path``, else the last
        absolute path in backticks in the paragraph above it."""
        first = self.text.splitlines()[0] if self.text else ""
        if self.lang == "yaml" and (match := re.match(r"#\s*(/\S+)", first)):
            return match.group(1).rstrip(",")
        paths = re.findall(r"`(/[^`\s]+\.(?:json|yaml|yml))`", self.before)
        return paths[-1] if paths else None

    def where(self) -> str:
        return f"README.md:{self.line}"


def read_blocks(path: Path = README) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    paragraph: list[str] = []  # the text since the last blank line, or else the paragraph before it
    fresh = True
    n = 0
    while n < len(lines):
        line = lines[n]
        if line.startswith("```"):
            lang, start, body = line[3:].strip(), n + 1, []
            n += 1
            while n < len(lines) and not lines[n].startswith("```"):
                body.append(lines[n])
                n += 1
            blocks.append(Block(lang, "\n".join(body) + "\n", start, "\n".join(paragraph)))
            paragraph, fresh = [], True
        elif line.strip():
            if fresh:
                paragraph, fresh = [], False
            paragraph.append(line)
        else:
            fresh = True
        n += 1
    return blocks


@dataclass
class Rule:
    """One substitution of the README text, with how often it applied (a rule that never applies is stale)."""

    pattern: str
    replacement: str
    flags: int = re.MULTILINE
    used: int = 0

    def apply(self, text: str) -> str:
        new, count = re.subn(self.pattern, lambda _: self.replacement, text, flags=self.flags)
        self.used += count
        return new


def substitute(text: str, rules: Iterable[Rule]) -> str:
    for rule in rules:
        text = rule.apply(text)
    return text


@dataclass
class Run:
    """A finished script: its exit status and each command's output (stdout and stderr together)."""

    status: int
    output: str
    commands: list[str]

    def of(self, fragment: str) -> str:
        """The output of the one command (as the README writes it) that is ``fragment`` without its comment,
        or else the one that contains it."""
        bare = [n for n, c in enumerate(self.commands) if c.split("  #")[0].strip() == fragment]
        matches = bare or [n for n, c in enumerate(self.commands) if fragment in c]
        assert len(matches) == 1, f"{fragment!r} names {len(matches)} commands of {self.commands}"
        for part in self.output.split(MARK)[1:]:
            head, _, text = part.partition(">>>\n")
            if int(head.split()[0]) == matches[0]:
                return text
        raise AssertionError(f"{fragment!r} did not run:\n{self.output}")

    def seconds(self) -> list[float]:
        """How long each command took (the last one up to now)."""
        starts = [float(part.partition(">>>")[0].split()[1]) for part in self.output.split(MARK)[1:]]
        return [round(b - a, 1) for a, b in zip(starts, [*starts[1:], time.time()], strict=True)]

    def failure(self, what: str) -> str:
        return f"{what} (exit {self.status}); its output:\n{self.output[-12000:]}"


EXPECTED_EXIT = re.compile(r"#.*\(exit (\d+)\)\s*$")  # a README comment "... (exit 1)" on a command


def script(commands: Sequence[str]) -> str:
    """One bash script with ``set -euo pipefail``; a command whose comment ends in ``(exit N)`` must exit N."""
    out = ["set -euo pipefail"]
    for n, command in enumerate(commands):
        out.append(f"printf '%s %s>>>\\n' {shlex.quote(f'{MARK}{n}')} \"$(date +%s.%N)\"")
        expected = int(match.group(1)) if (match := EXPECTED_EXIT.search(command)) else 0
        if expected:
            out += ["set +e", command, "status=$?", "set -e"]
            out.append(
                f'if [ "$status" != {expected} ]; then echo "README: expected exit {expected}, got $status" >&2; '
                "exit 97; fi"
            )
        else:
            out.append(command)
    return "\n".join(out) + "\n"


@dataclass
class Background:
    """A script whose last command keeps running (a server), in its own process group."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    commands: list[str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        """Polls ``check`` (HTTP errors count as not yet) until it holds; fails with the log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(
                    f"{what}: the command exited with {self.proc.returncode}; its output:\n{self.log()[-12000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if check():
                    return
            time.sleep(0.3)
        raise AssertionError(f"{what}: not within {timeout:.0f} s; the output so far:\n{self.log()[-12000:]}")

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl+C to the whole group, as in a terminal; SIGKILL if it does not end."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        return int(self.proc.returncode)


@dataclass
class Machine:
    """A fresh machine in a temporary folder: its own HOME, ``/srv`` and ``/etc/ragwarden`` under ``root``,
    a free port for the README's 8000, and the environment a newcomer's shell has (no RAGWARDEN_*)."""

    root: Path
    port: int = field(default_factory=free_port)
    extra_rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.root / "srv").mkdir(exist_ok=True)
        (self.root / "etc" / "ragwarden").mkdir(parents=True, exist_ok=True)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rules(self) -> list[Rule]:
        return [*machine_rules(self.root, self.port), *self.extra_rules]

    def text(self, readme_text: str) -> str:
        return substitute(readme_text, self.rules())

    def path(self, readme_path: str) -> Path:
        return Path(self.text(readme_path))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGWARDEN_", "XDG_"))}
        env.pop("VIRTUAL_ENV", None)  # `./dev test` activates the venv; a newcomer's shell has not
        venv_bin = str(REPO / ".venv" / "bin")
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
        env["HOME"] = str(self.home)
        return env

    def write_files(self, blocks: Sequence[Block], upto: Block) -> None:
        """The README's example files as a reader has written them on reaching ``upto``: the latest block
        for each path above it."""
        for block in blocks:
            if block.line > upto.line:
                break
            if block.lang in ("yaml", "json"):
                assert block.target, f"{block.where()}: a {block.lang} block names no file"
                target = self.path(block.target)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(self.text(block.text), encoding="utf-8")

    def run(self, commands: Sequence[str], *, timeout: float = 600) -> Run:
        """Runs the README's ``commands`` (substituted here) to the end."""
        done = subprocess.run(  # noqa: S603 - the README's own commands
            ["bash", "-c", script([self.text(c) for c in commands])],
            cwd=REPO,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        return Run(done.returncode, done.stdout.decode(errors="replace"), list(commands))

    def start(self, commands: Sequence[str], name: str) -> Background:
        """Starts the README's ``commands`` (substituted here), the last of which keeps running."""
        log_path = self.root / f"{name}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(  # noqa: S603 - the README's own commands
                ["bash", "-c", script([self.text(c) for c in commands])],
                cwd=REPO,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Background(proc, log_path, list(commands))


def machine_rules(root: Path, port: int) -> list[Rule]:
    """The substitution table every block goes through (see the docstring of tests/test_readme.py)."""
    return [
        Rule(r"(?<![\w./-])/srv/", f"{root}/srv/"),
        Rule(r"(?<![\w./-])/etc/ragwarden/", f"{root}/etc/ragwarden/"),
        Rule(r"--port 8000\b", f"--port {port}"),
        Rule(r"\b127\.0\.0\.1:8000\b", f"127.0.0.1:{port}"),
    ]


def exports(block: Block) -> list[str]:
    """The block's ``export`` lines: the environment a reader's shell has after it."""
    return [c for c in block.commands if c.startswith("export ")]
