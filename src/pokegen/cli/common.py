"""What every command shares: its common options, and errors printed as one line."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from pokegen import config as C
from pokegen.errors import PokegenError

DATA = click.option(
    "--data",
    "data",
    type=str,
    default=None,
    help="Image folder or Kaggle-layout dataset (default: $POKEGEN_DATA, else kagglehub).",
)
DEVICE = click.option("--device", type=click.Choice(C.DEVICES), default="auto", show_default=True)
CHECKPOINT = click.option(
    "--checkpoint",
    type=click.Choice(C.CHECKPOINTS),
    default="last",
    show_default=True,
    help="Which saved weights: the last, or the best by the training-time SWD probe.",
)
TEMPERATURE = click.option(
    "--temperature",
    type=click.FloatRange(0, 2, min_open=True),
    default=1.0,
    show_default=True,
    help="Scale of the latent draws: below 1 gives typical samples, less variety.",
)

REFINE = click.option(
    "--refine-steps",
    type=click.IntRange(0, C.MAX_REFINE_STEPS),
    default=None,
    help="Rounds of re-encoding and decoding each sample (default: the run's; 0: off).",
)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn user errors into one line and exit 2; Ctrl-C into a message and exit 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (PokegenError, ValueError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt as exc:
            click.echo(f"\n{exc or 'interrupted'}", err=True)
            sys.exit(130)

    return wrapper


class OneLineErrors(click.Group):
    """Click's usage errors (a bad option, a missing argument) as one `error:` line, exit 2,
    like pokegen's own: click would print a usage block and a capitalised `Error:` instead."""

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `pokegen`: the help
            click.echo(exc.format_message(), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:  # usage errors carry the command's context
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx else ""
            message = " ".join(exc.format_message().split())  # click wraps some over lines
            click.echo(f"error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)  # --help and --version return 0
