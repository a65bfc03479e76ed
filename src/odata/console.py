"""How odata talks to a person: results on stdout, progress and errors on stderr.

Library modules never print; they log or return problems. The CLI uses this module to show
them, and :func:`handle_errors` is the single place where exceptions become exit codes.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from odata.errors import ExitCode, OdataError, Problem

__all__ = [
    "count",
    "err",
    "handle_errors",
    "out",
    "progress",
    "setup_logging",
    "show_problems",
]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def setup_logging(verbosity: int) -> None:
    """Send library logs to stderr through rich; ``verbosity`` is -1 (quiet) to 2 (debug)."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = RichHandler(console=err, show_path=False, show_time=False, markup=False)
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s", force=True)


def progress(*, quiet: bool = False) -> Progress:
    """A progress display on stderr; silent when quiet or when stderr is not a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
    )


def show_problems(problems: Sequence[Problem], *, limit: int = 50) -> None:
    """Print problems as a table on stderr, at most ``limit`` of them, with a summary line."""
    if not problems:
        return
    if not err.is_terminal:  # logs and pipes: one greppable line per problem, never cut
        for problem in problems[:limit]:
            err.print(escape(str(problem)), soft_wrap=True, highlight=False)
    else:
        err.print(_problem_table(problems[:limit]))
    files = len({p.file for p in problems})
    shown = f" (showing {limit})" if len(problems) > limit else ""
    err.print(f"{count(len(problems), 'problem')} in {count(files, 'file')}{shown}")


def count(number: int, noun: str) -> str:
    """``1 problem``, ``2 problems``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _problem_table(problems: Sequence[Problem]) -> Table:
    table = Table("File", "Row", "Column", "Code", "Reason", show_lines=False, header_style="bold")
    for problem in problems:
        table.add_row(
            escape(problem.file or ""),
            "" if problem.row is None else str(problem.row),
            escape(problem.column or ""),
            escape(problem.code),
            escape(problem.reason),
        )
    return table


@contextmanager
def handle_errors(*, debug: bool = False, limit: int = 50) -> Iterator[None]:
    """Turn exceptions into a message and an exit code; tracebacks only with ``--debug``."""
    try:
        yield
    except OdataError as exc:
        if debug:
            err.print_exception()
        show_problems(exc.problems, limit=limit)
        _fail(str(exc), exc.exit_code, hint=exc.hint)
    except KeyboardInterrupt:
        _fail("interrupted", ExitCode.INTERRUPTED)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
        raise
    except Exception as exc:  # a bug: say so, and keep the details for --debug
        if debug:
            err.print_exception()
            _fail(f"unexpected error (please report): {type(exc).__name__}", ExitCode.FAILURE)
        _fail(
            f"unexpected error (please report): {type(exc).__name__}",
            ExitCode.FAILURE,
            hint="run again with --debug to see the traceback",
        )


def _fail(message: str, code: ExitCode, *, hint: str | None = None) -> NoReturn:
    err.print(f"[bold red]Error:[/] {escape(message)}")
    if hint:
        err.print(f"[yellow]Tip:[/] {escape(hint)}")
    sys.exit(int(code))
