"""The verb table: every row is a command, ``rnnkit --help`` imports no capability, a flag means
the same on every verb, and the library's log messages reach stderr (not with --quiet)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import rnnkit
from rnnkit.cli import _Group, cli
from rnnkit.cli.verbs import KINDED, VERBS
from rnnkit.core.options import QUIET

HEAVY = ("torch", "pandas", "gensim", "sklearn", "matplotlib", "statsmodels", "numpy")


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every leaf command under ``group``, by its full name ("embed train")."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield prefix + name, command


def test_every_row_is_a_command_listed_by_the_top_help() -> None:
    names = dict(_commands(cli))
    for verb in VERBS:
        assert verb.name in names or any(n.startswith(verb.name + " ") for n in names), verb
    out = CliRunner().invoke(cli, ["--help"]).output
    tops = {verb.name.split()[0] for verb in VERBS}
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line]
    assert set(listed) == tops and set(KINDED) <= tops


def test_top_level_help_imports_no_capability() -> None:
    # Timing would flake on a busy machine; what makes it slow is importing these.
    root = str(Path(rnnkit.__file__).parents[1])
    code = (
        "import sys\nfrom rnnkit.cli import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        f"print('loaded:', [m for m in {HEAVY!r} if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert "Commands:" in done.stdout and "train" in done.stdout
    assert done.stdout.rstrip().endswith("loaded: []"), done.stdout[-200:]


def test_python_dash_m_rnnkit_is_the_command() -> None:
    root = str(Path(rnnkit.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-m", "rnnkit", "--version"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and done.stdout.strip() == f"rnnkit, version {rnnkit.__version__}"


def test_a_flag_means_the_same_on_every_verb() -> None:
    seen: dict[str, tuple[str, click.Option]] = {}
    for verb, command in _commands(cli):
        ctx = click.Context(command)
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            for flag in param.opts:
                kind = (param.type.name, param.is_flag, param.multiple, param.secondary_opts)
                first = seen.setdefault(flag, (verb, param))
                other = first[1]
                assert kind == (
                    other.type.name,
                    other.is_flag,
                    other.multiple,
                    other.secondary_opts,
                ), f"{flag} differs between {first[0]} and {verb}"
                # --level's default is each verb's own: language models of characters,
                # classifiers of words; its choices are the same everywhere (below).
                if flag in ("--out", "--epochs", "--seed", "--lowercase"):
                    default = param.get_default(ctx), other.get_default(ctx)
                    assert default[0] == default[1], f"{flag}: {first[0]} vs {verb}"
    assert seen["--out"][1].type.name == "directory"
    assert seen["--lowercase"][1].secondary_opts == ["--keep-case"]
    levels = [p.type for v, c in _commands(cli) for p in c.params if "--level" in p.opts]
    assert len(levels) >= 2
    assert all(isinstance(t, click.Choice) and list(t.choices) == ["char", "word"] for t in levels)


def _logging_cli() -> click.Group:
    group = _Group()

    @group.command()
    @QUIET
    def talk(quiet: bool) -> None:
        logging.getLogger("rnnkit.somewhere").info("planned 3 epochs")
        logging.getLogger("rnnkit.somewhere").warning("careful")
        logging.getLogger("rnnkit.somewhere").debug("not shown")

    return group


def test_library_log_messages_are_plain_lines_on_stderr() -> None:
    root_handlers = list(logging.getLogger().handlers)
    result = CliRunner().invoke(_logging_cli(), ["talk"])
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.splitlines() == ["planned 3 epochs", "warning: careful"]
    quiet = CliRunner().invoke(_logging_cli(), ["talk", "--quiet"])
    assert quiet.stderr.splitlines() == ["warning: careful"]
    assert logging.getLogger().handlers == root_handlers  # the root logger is left alone
    assert not logging.getLogger("rnnkit").handlers  # and the handler goes after the command


@pytest.mark.parametrize("args", [["nope"], ["train", "lm", "--nope"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert CliRunner().invoke(cli, args).exit_code == 2


def _command(*names: str) -> click.Command:
    command: click.Command | None = cli
    for name in names:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    return command


@pytest.mark.parametrize(
    ("verb", "settings"),
    [
        (("train", "lm"), ("rnnkit.lm.base:TrainSettings", "rnnkit.lm.wordlm:WordSettings")),
        (("train", "classifier"), ("rnnkit.classify.classifier:ClassifierSettings",)),
        (("embed", "train"), ("rnnkit.embed.vectors:Settings",)),
    ],
)
def test_every_settings_field_is_an_option_with_its_default(
    verb: tuple[str, ...], settings: tuple[str, ...]
) -> None:
    import dataclasses
    import pkgutil

    options = {p.name: p for p in _command(*verb).params if isinstance(p, click.Option)}
    for target in settings:
        cls = pkgutil.resolve_name(target)
        for field in dataclasses.fields(cls):
            option = options[field.name]
            assert option.get_default(click.Context(_command(*verb))) is None  # the estimator's
            assert option.help and "[default: " in option.help, field.name


def test_defaults_shown_are_the_dataclasses() -> None:
    helps = {p.name: p.help for p in _command("train", "lm").params}
    assert helps["seq_len"] == "TBPTT window length. [default: char 128, word 64]"
    assert helps["lowercase"] == "[word] Lowercase the text, or keep its case. [default: keep-case]"
    assert helps["cell"] == "Cell type. [default: char gru, word lstm]"
    helps = {p.name: p.help for p in _command("embed", "train").params}
    assert helps["lowercase"] == "Lowercase the text, or keep its case. [default: lowercase]"
    assert helps["epochs"] == "Passes over the corpus (whole ones). [default: 5]"


def test_word2vec_epochs_must_be_whole() -> None:
    result = CliRunner().invoke(cli, ["embed", "train", "x.txt", "--epochs", "2.5"])
    assert result.exit_code == 2
    assert result.stderr == "error: --epochs must be a whole number here, got 2.5\n"
