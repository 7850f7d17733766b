"""The ``rnnkit`` command line: the verbs of :mod:`rnnkit.cli.verbs` under one error boundary.

Every user error becomes one ``error: ...`` line on stderr and exit code 2; a warning is one
``warning: ...`` line; Ctrl-C exits with 130 and no traceback (Ctrl-C during training saves a
resumable checkpoint first). Progress messages of the library (INFO records of the ``rnnkit``
logger) are plain lines on stderr, unless the verb is given ``--quiet``; the root logger is
left alone. Commands are imported when they run, so ``rnnkit --help`` imports no capability.
"""

from __future__ import annotations

import logging
import os
import pkgutil
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click

from rnnkit import __version__
from rnnkit.cli.verbs import KINDED, VERBS, Verb
from rnnkit.core.options import LOG_HANDLER
from rnnkit.errors import RnnkitError

#: A group's rows: command name -> (one-line help, "module:attribute" or a group built here).
Rows = Mapping[str, tuple[str, "str | click.Command"]]


class _Lazy(click.Group):
    """A group whose commands are rows of the verb table, imported only when one is used; its
    help lists them from the table's own lines."""

    def __init__(self, name: str | None = None, rows: Rows | None = None, **attrs: Any) -> None:
        super().__init__(name, **attrs)
        self.rows: Rows = rows if rows is not None else {}  # a kinds group's fills in later

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.rows, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.rows:
            return super().get_command(ctx, cmd_name)
        target = self.rows[cmd_name][1]
        command = pkgutil.resolve_name(target) if isinstance(target, str) else target
        assert isinstance(command, click.Command), f"{target} is not a click command"
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        added = {n: c.get_short_help_str() for n, c in self.commands.items() if n not in self.rows}
        rows = {name: help for name, (help, _) in self.rows.items()} | added
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(list(rows.items()))


class _Kinds(_Lazy):
    """A verb whose rows are kinds (``train lm``, ``train classifier``): when the first argument
    names no kind (nor asks for help), it is the default kind's."""

    def __init__(self, name: str, rows: Rows, default: str, **attrs: Any) -> None:
        super().__init__(name, rows, **attrs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.rows and args[0] not in ctx.help_option_names):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


class _Group(_Lazy):
    """The error boundary: :class:`RnnkitError` (and unreadable paths) become one line and exit
    code 2, warnings one line, Ctrl-C exit code 130; the ``rnnkit`` logger writes to stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _log_to_stderr(ctx), warnings.catch_warnings():  # both restored afterwards
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except RnnkitError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
        except BrokenPipeError:
            # The reader went away (`rnnkit info DIR | head`): stop quietly, as Unix tools do.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit
            sys.exit(141)
        except OSError as err:
            click.echo(f"error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            sys.exit(130)


def _show_warning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
    """Print a warning as one line (``warning: ...``), not with its source file and line."""
    click.echo(f"warning: {message}", err=True)


class _EchoHandler(logging.Handler):
    """Writes a log record as one plain line on stderr (through click, so the stream is the one
    of the moment: a test runner's too); warnings and errors say what they are."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:  # logging's own contract: a broken record must not break the run
            self.handleError(record)
            return
        level = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        click.echo(level + message, err=True)


@contextmanager
def _log_to_stderr(ctx: click.Context) -> Iterator[None]:
    """While a command runs, INFO records of the ``rnnkit`` logger reach stderr (``--quiet``
    raises the handler's level through ``ctx.meta``)."""
    logger = logging.getLogger("rnnkit")
    handler, level = _EchoHandler(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    ctx.meta[LOG_HANDLER] = handler
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _rows(verbs: tuple[Verb, ...]) -> Rows:
    """The top-level rows of the table: a ``"VERB KIND"`` row joins the group of its VERB,
    listed where its first kind is."""
    rows: dict[str, tuple[str, str | click.Command]] = {}
    kinds: dict[str, dict[str, tuple[str, str | click.Command]]] = {}
    for verb in verbs:
        head, _, kind = verb.name.partition(" ")
        if not kind:
            rows[head] = (verb.help, verb.target)
            continue
        if head not in kinds:
            kinds[head], about = {}, KINDED[head]
            group = _Kinds(head, kinds[head], about.default, help=about.help)
            rows[head] = (about.summary, group)
        kinds[head][kind] = (verb.help, verb.target)
    return rows


@click.group(
    cls=_Group, rows=_rows(VERBS), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="rnnkit")
def cli() -> None:
    """Train and use recurrent neural networks (RNN, LSTM, GRU) on text and time series."""


def main(args: list[str] | None = None) -> None:
    """Console-script entry point (``args``: instead of the command line, for tests)."""
    cli.main(args, prog_name="rnnkit")
