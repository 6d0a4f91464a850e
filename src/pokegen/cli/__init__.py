"""The command line: validate options, build one config, call one API function."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from pokegen import config as C
from pokegen.cli.common import (
    CHECKPOINT,
    DATA,
    DEVICE,
    REFINE,
    TEMPERATURE,
    OneLineErrors,
    friendly,
)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pokegen")
def main() -> None:
    """pokegen: train AE, VAE and GAN generators on a small image collection."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command()
@click.argument("path", required=False)
@click.option("--image-size", type=int, default=C.DataConfig.image_size, show_default=True)
@click.option(
    "--background",
    type=click.Choice(C.BACKGROUNDS),
    default=C.DataConfig.background,
    show_default=True,
)
@click.option(
    "--crop/--no-crop",
    default=C.DataConfig.crop,
    show_default=True,
    help="Crop each image to its content before resizing.",
)
@click.option("--out", type=click.Path(), default="data-report", show_default=True)
@friendly
def data(path, image_size, background, crop, out) -> None:
    """Summarise a dataset and write a contact sheet and a type histogram."""
    from pokegen.data import inspect_data

    cfg = C.merge(
        C.DataConfig(),
        {"path": path, "image_size": image_size, "background": background, "crop": crop},
    )
    C.validate(C.TrainConfig(data=cfg))
    click.echo(inspect_data(cfg, Path(out)))


@main.command()
@click.argument("family", type=click.Choice(C.FAMILIES))
@DATA
@click.option("--out", type=str, default=None, help="Run folder (default: runs/NNNNN-...).")
@click.option("--preset", type=click.Choice(C.PRESETS), default="default", show_default=True)
@click.option("--image-size", type=int)
@click.option("--latent-dim", type=int)
@click.option("--width", type=int, help="Channels at full resolution.")
@click.option("--epochs", type=int)
@click.option(
    "--minutes",
    type=click.FloatRange(min=0),
    help="Wall-clock budget per run (0: none); stops at epochs or minutes.",
)
@click.option("--batch-size", type=int, help="Per process (global = batch size × processes).")
@click.option("--lr", type=float)
@click.option("--seed", type=int)
@click.option("--background", type=click.Choice(C.BACKGROUNDS))
@click.option("--crop/--no-crop", default=None)
@click.option(
    "--conditional", is_flag=True, default=None, help="Condition on labels (Type1/Type2)."
)
@click.option("--label-column", type=str, help="CSV column to use as the label.")
@click.option(
    "--encoder/--no-encoder",
    default=None,
    help="gan: also learn q(z|x), so the generator doubles as a VAE decoder (VAE-GAN; "
    "on in the gan presets).",
)
@DEVICE
@click.option(
    "--amp",
    is_flag=True,
    default=None,
    help="Mixed precision: CUDA, or bf16 on CPUs with AVX512-BF16/AMX.",
)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and exit.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly
def train(
    family,
    data,
    out,
    preset,
    image_size,
    latent_dim,
    width,
    epochs,
    minutes,
    batch_size,
    lr,
    seed,
    background,
    crop,
    conditional,
    label_column,
    encoder,
    device,
    amp,
    resume,
    dry_run,
    quiet,
) -> None:
    """Train one family (ae, vae or gan) into a run folder."""
    from pokegen.training.engine import train as run_training

    given = lambda **kw: {k: v for k, v in kw.items() if v is not None}  # noqa: E731
    cfg = C.validate(
        C.preset(
            family,
            preset,
            out=out,
            device=device,
            data=given(
                path=data,
                image_size=image_size,
                background=background,
                crop=crop,
                label_column=label_column,
            ),
            model=given(
                latent_dim=latent_dim, width=width, conditional=conditional, encoder=encoder
            ),
            **given(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, amp=amp),
            **({} if minutes is None else {"minutes": minutes or None}),
        )
    )
    if dry_run:
        click.echo(C.dumps(cfg))
        return
    click.echo(f"run folder: {run_training(cfg, resume=resume, quiet=quiet)}")


@main.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--n", type=click.IntRange(1, 100_000), default=64, show_default=True)
@click.option("--out", type=click.Path(), default=None, help="Default: RUN/samples.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--type", "type1", type=str, help="Type to generate (conditional runs).")
@click.option("--type2", type=str, help="Second type (conditional runs).")
@TEMPERATURE
@REFINE
@DEVICE
@CHECKPOINT
@friendly
def sample(run, n, out, seed, type1, type2, temperature, refine_steps, device, checkpoint) -> None:
    """Generate N new images as numbered PNGs plus grid.png."""
    from pokegen.sampling import sample as write_samples

    folder = write_samples(
        run, n, out, seed, type1, type2, device, checkpoint, temperature, refine_steps
    )
    click.echo(f"wrote {n} samples to {folder}")


@main.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--n", type=click.IntRange(1, 256), default=16, show_default=True)
@click.option("--out", type=click.Path(), default=None, help="Default: RUN/reconstructions.png.")
@DATA
@DEVICE
@CHECKPOINT
@friendly
def reconstruct(run, n, out, data, device, checkpoint) -> None:
    """Holdout originals beside their reconstructions (ae, vae, gan with an encoder)."""
    from pokegen.sampling import write_reconstructions

    click.echo(f"wrote {write_reconstructions(run, out, n, data, device, checkpoint)}")


@main.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--rows", type=click.IntRange(1, 64), default=6, show_default=True)
@click.option("--steps", type=click.IntRange(2, 64), default=10, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Default: RUN.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--between",
    nargs=2,
    type=str,
    default=None,
    metavar="TYPE_A TYPE_B",
    help="Conditional runs: fixed latents, label walked from type A to type B.",
)
@DATA
@DEVICE
@CHECKPOINT
@friendly
def interpolate(run, rows, steps, out, seed, between, data, device, checkpoint) -> None:
    """A latent-walk grid and animated GIF (or a walk between two types with --between)."""
    from pokegen.interpolation import interpolate as walk

    path = walk(run, out, rows, steps, seed, data, device, between, checkpoint)
    click.echo(f"wrote {path}")


@main.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--n", type=click.IntRange(16, 100_000), default=1000, show_default=True)
@DATA
@click.option(
    "--inception-weights",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Local Inception-V3 FID weights (else downloaded once; offline: FID skipped).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@TEMPERATURE
@REFINE
@DEVICE
@CHECKPOINT
@friendly
def evaluate(
    run, n, data, inception_weights, seed, temperature, refine_steps, device, checkpoint
) -> None:
    """Metrics of one run into RUN/metrics.json, printed as a table."""
    from pokegen.evaluation.evaluate import evaluate_run, format_table

    metrics = evaluate_run(
        run,
        n,
        data,
        inception_weights,
        device,
        seed,
        checkpoint=checkpoint,
        temperature=temperature,
        refine_steps=refine_steps,
    )
    click.echo(format_table(metrics))


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), default="report.html", show_default=True)
@friendly
def report(runs, out) -> None:
    """One self-contained HTML page comparing runs side by side."""
    from pokegen.evaluation.report import write_report

    click.echo(f"wrote {write_report(list(runs), out)}")


@main.command(name="run")
@DATA
@click.option("--out", type=click.Path(file_okay=False), default="output", show_default=True)
@click.option("--preset", type=click.Choice(C.PRESETS), default="default", show_default=True)
@click.option(
    "--family",
    "families",
    type=click.Choice(C.FAMILIES),
    multiple=True,
    help="Only these families (repeatable; default: all three).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@DEVICE
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly
def run_cmd(data, out, preset, families, seed, device, quiet) -> None:
    """The main job: train AE, VAE and GAN, sample, evaluate, and write OUT/report.html."""
    from pokegen.pipeline import run_all

    run_all(data, out, preset, tuple(families) or C.FAMILIES, device, seed, quiet=quiet)
