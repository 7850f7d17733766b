"""The code blocks of README.md and docs/*.md are tests, so the documentation cannot drift.

The conventions (docs/README.md states them for readers too):

* ```python blocks run. A page's blocks run in order, in one namespace, in a fresh temporary
  working directory that holds a copy of ``tests/fixtures/docs/`` (``my_text.txt``,
  ``reviews.csv``, ``sales.csv``: the small files the examples train on), with no data mirror
  (``RNNKIT_DATA`` unset) and a private cache. Before a block runs, SUBSTITUTIONS are applied
  to its text, and nothing else is changed: a time budget ``minutes=N`` becomes ``steps=2``, so
  an example can show a real budget and the test still takes seconds. Step and epoch budgets are
  run as written (the examples keep them small).
* ```bash blocks are checked, not run, one command a line (``\\`` continues a line, ``#`` starts
  a comment, leading ``NAME=value`` assignments are skipped):
  - ``rnnkit ...`` is parsed by the real command line (the console script named in
    pyproject.toml) with every command's body replaced by a recorder: the verb must exist, every
    option must be one the verb accepts with a value of the right type, and the arguments must
    fit. Nothing trains and paths need not exist (a path option's value is not checked).
  - ``scripts/NAME.sh`` must be an executable script of this repository;
  - ``python benchmarks/NAME.py --flag ...`` (or ``python scripts/NAME.py``) must name an
    existing script, and each ``--flag`` must appear in its source;
  - the first word of any other line must be in OTHER_COMMANDS.
* ```text blocks are literal output, trees or tables, shown as they are.
* A fence with any other language, or none, fails the test: no block is skipped silently.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "docs"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: (pattern, replacement) applied to the text of every python block before it runs.
SUBSTITUTIONS: list[tuple[str, str]] = [
    (r"\bminutes=[0-9.]+", "steps=2"),  # a time budget becomes two optimizer steps
]
#: Languages of the fences, and what the test does with each.
RUN, CHECK, SHOW = ("python",), ("bash",), ("text",)
#: First words of shell lines that are not rnnkit's own commands or scripts.
OTHER_COMMANDS = {"pip", "torchrun"}
#: How a shell line may start Python on one of the repository's scripts.
PYTHONS = {"python", ".venv/bin/python"}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, in order (fences of three or more backticks)."""
    found, lines = [], page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = re.match(r"^(\s*)(`{3,})(.*)$", lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, lang = opening.group(1), opening.group(2), opening.group(3).strip()
        start, i = i, i + 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i].removeprefix(indent))
            i += 1
        if i == len(lines):
            raise AssertionError(f"{page.relative_to(ROOT)}:{start + 1}: unclosed code block")
        found.append(Block(page, start + 1, lang, "\n".join(body) + "\n"))
        i += 1
    return found


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_pages_exist_and_readme_is_short() -> None:
    assert (ROOT / "docs").is_dir()
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 150, f"README.md has {lines} lines; the limit is 150 (move detail to docs/)"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_block_is_run_checked_or_shown(page: Path) -> None:
    for block in blocks(page):
        assert block.lang in RUN + CHECK + SHOW, (
            f"{block.where}: a ```{block.lang} block is neither run ({', '.join(RUN)}), "
            f"checked ({', '.join(CHECK)}) nor shown ({', '.join(SHOW)})"
        )


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    found = set()
    for block_free in re.sub(r"(?ms)^```.*?^```", "", page.read_text(encoding="utf-8")).split("\n"):
        heading = re.match(r"^#{1,6}\s+(.*)$", block_free)
        if heading:
            found.add(re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_links_between_pages_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.exists(), f"{_id(page)}: the link {target} leads nowhere"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{_id(page)}: {target}: no such heading"


# ---------------------------------------------------------------------------------------------
# python blocks


def substituted(code: str) -> str:
    for pattern, replacement in SUBSTITUTIONS:
        code = re.sub(pattern, replacement, code)
    return code


@pytest.mark.parametrize(
    "page", [p for p in PAGES if any(b.lang in RUN for b in blocks(p))], ids=_id
)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RNNKIT_DATA", raising=False)
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / ".cache"))
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in blocks(page):
        if block.lang in RUN:
            # Blank lines in front keep the block's line numbers those of the page.
            code = "\n" * block.line + substituted(block.code)
            exec(compile(code, str(block.page), "exec"), namespace)


def test_substitutions_only_touch_time_budgets() -> None:
    assert substituted('lm.fit("shakespeare", minutes=5)') == 'lm.fit("shakespeare", steps=2)'
    assert substituted("fit(text, minutes=0.5, out_dir=d)") == "fit(text, steps=2, out_dir=d)"
    assert substituted("train(corpus, epochs=5)") == "train(corpus, epochs=5)"


# ---------------------------------------------------------------------------------------------
# shell blocks


def commands(block: Block) -> Iterator[tuple[int, list[str]]]:
    """(line number, words) of each command in a shell block; comments and blanks dropped."""
    pending, first = "", 0
    for offset, raw in enumerate(block.code.splitlines(), start=block.line + 1):
        if not pending:
            first = offset
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        words, pending = shlex.split(pending + raw, comments=True), ""
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]  # an environment assignment for this command
        if words:
            yield first, words


def _console_script() -> Any:
    """The function pyproject.toml installs as the ``rnnkit`` command."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        target = tomllib.load(f)["project"]["scripts"]["rnnkit"]
    module, name = target.split(":")
    return getattr(import_module(module), name)


def parse_rnnkit(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    """Run the real command line on ``args`` with every command's body replaced: the exit code
    and the command paths that would have run."""
    reached: list[str] = []
    original = click.Command.invoke

    def record(self: click.Command, ctx: click.Context) -> Any:
        if isinstance(self, click.Group):  # a group's own callback: run it as usual
            return original(self, ctx)
        names, up = [], ctx
        while up.parent is not None:
            names.append(up.info_name or "")
            up = up.parent
        reached.append(" ".join(reversed(names)))  # e.g. "embed train"
        return None

    with monkeypatch.context() as m:
        m.setattr(click.Command, "invoke", record)
        m.setattr(click.Path, "convert", lambda self, value, param, ctx: value)
        m.setattr(sys, "argv", ["rnnkit", *args])
        try:
            _console_script()()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return code, reached


def check_script(words: list[str], where: str) -> None:
    if words[0] == "nice":  # nice -n 19 python ...
        words = words[3:] if words[1] == "-n" else words[1:]
    if words[0] in PYTHONS:
        script = ROOT / words[1]
        assert words[1].startswith(("benchmarks/", "scripts/")), f"{where}: {words[1]}?"
        assert script.is_file(), f"{where}: no script {words[1]}"
        source = script.read_text(encoding="utf-8")
        for flag in (w.split("=", 1)[0] for w in words[2:] if w.startswith("--")):
            assert f'"{flag}"' in source, f"{where}: {words[1]} has no option {flag}"
        return
    script = ROOT / words[0]
    assert script.is_file(), f"{where}: no script {words[0]}"
    assert script.stat().st_mode & stat.S_IXUSR, f"{where}: {words[0]} is not executable"


@pytest.mark.parametrize(
    "page", [p for p in PAGES if any(b.lang in CHECK for b in blocks(p))], ids=_id
)
def test_shell_blocks_parse(
    page: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for block in blocks(page):
        if block.lang not in CHECK:
            continue
        for line, words in commands(block):
            where = f"{_id(page)}:{line}"
            if os.path.basename(words[0]) == "rnnkit":
                code, reached = parse_rnnkit(words[1:], monkeypatch)
                out = capsys.readouterr()
                shown = " ".join(words)
                assert code == 0, f"{where}: `{shown}` does not parse:\n{out.err}{out.out}"
                asks_help = {"-h", "--help", "--version"} & set(words)
                assert len(reached) == 1 or asks_help, f"{where}: `{shown}` names no command"
            elif words[0] in OTHER_COMMANDS:
                continue
            else:
                check_script(words, where)


def test_the_shell_check_rejects_what_the_cli_rejects(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert parse_rnnkit(["info", "runs/x"], monkeypatch) == (0, ["info"])
    assert parse_rnnkit(["info", "runs/x", "--no-such-option"], monkeypatch)[0] == 2
    assert parse_rnnkit(["no-such-verb"], monkeypatch)[0] == 2
    assert parse_rnnkit(["generate", "runs/x", "--chars", "many"], monkeypatch)[0] == 2
    assert parse_rnnkit(["info"], monkeypatch)[0] == 2  # a missing argument
    assert "No such option" in capsys.readouterr().err


def leaf_commands(
    path: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> set[str]:
    """Every command below ``rnnkit PATH`` that does something, as read from ``--help``."""
    code, _ = parse_rnnkit([*path, "--help"], monkeypatch)
    text = capsys.readouterr().out
    assert code == 0, text
    if "Commands:" not in text:
        return {" ".join(path)}
    listed = re.findall(r"^  (\S+)", text.split("Commands:", 1)[1], flags=re.M)
    return set().union(*(leaf_commands([*path, n], monkeypatch, capsys) for n in listed))


def test_the_cli_reference_shows_every_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    shown: set[str] = set()
    for block in blocks(ROOT / "docs" / "cli.md"):
        for _, words in commands(block) if block.lang in CHECK else ():
            if words[0] == "rnnkit":
                shown.update(parse_rnnkit(words[1:], monkeypatch)[1])
    capsys.readouterr()
    missing = leaf_commands([], monkeypatch, capsys) - shown
    assert not missing, f"docs/cli.md shows no example of: {', '.join(sorted(missing))}"


def test_the_architecture_tree_names_every_folder() -> None:
    tree = next(b.code for b in blocks(ROOT / "docs" / "architecture.md") if b.lang in SHOW)
    shown = set(re.findall(r"^  (\w+)/", tree, flags=re.M))  # the folders right under rnnkit/
    folders = {p.parent.name for p in (ROOT / "rnnkit").glob("*/*.py")}
    assert shown == folders, f"docs/architecture.md's tree: {shown ^ folders} differ"
