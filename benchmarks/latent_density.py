"""Quality against novelty for the latent density an AE's or VAE's samples are drawn from.

Training-free, on a trained run folder (AE or VAE, unconditional). Each row decodes n codes and
scores them with pokegen's metrics against the run's training images: the run's own prior (what
`pokegen sample` draws), GMMs refitted with the given component counts, a kernel density on the
training codes (a code plus Gaussian noise of h × the codes' per-dimension spread), midpoints
of a code and one of its k nearest neighbours, and two references: the decoded training codes
(reconstructions, copies by construction) and the real holdout images. The near-copy test's
median ratio says how close a row's samples sit to their nearest training image, where a new
real creature (the holdout row) sits at about 1.2.

    python benchmarks/latent_density.py runs/main/vae --n 1000
    python benchmarks/latent_density.py RUN --gmm 10,50 --kde 0.5 --midpoints 5 --grids /tmp/g
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere
from _bench_common import (
    command_line,
    header_lines,
    machine_info,
    markdown_table,
    save_json,
)
from pokegen import viz
from pokegen.errors import PokegenError
from pokegen.evaluation.evaluate import compute_metrics
from pokegen.evaluation.images import to_unit_float
from pokegen.models.prior import LatentPrior
from pokegen.sampling import Run, generate, load_run
from pokegen.training.health import encode_codes

COLUMNS = [  # (header, metrics key)
    ("n", "n_samples"),
    ("SWD ↓", "swd_mean"),
    ("precision ↑", "precision"),
    ("recall ↑", "recall"),
    ("coverage ↑", "coverage"),
    ("near-copies", "novelty_near_copy_fraction"),
    ("median ratio", "novelty_median_ratio"),
]


def kde_draws(codes: torch.Tensor, n: int, h: float, gen: torch.Generator) -> torch.Tensor:
    """n codes [n, L]: random training codes plus N(0, (h · per-dimension std)²) noise."""
    pick = torch.randint(0, len(codes), (n,), generator=gen)
    return codes[pick] + h * codes.std(0) * torch.randn(n, codes.shape[1], generator=gen)


def neighbour_midpoints(
    codes: torch.Tensor, n: int, k: int, gen: torch.Generator, spread: float = 0.05
) -> torch.Tensor:
    """n codes [n, L] on segments between a random training code and one of its k nearest
    neighbours, at a mixing weight drawn from 0.5 ± spread."""
    dist = torch.cdist(codes, codes)  # [N, N]
    dist.fill_diagonal_(float("inf"))
    neighbours = dist.topk(min(k, len(codes) - 1), largest=False).indices  # [N, k]
    i = torch.randint(0, len(codes), (n,), generator=gen)
    j = neighbours[i, torch.randint(0, neighbours.shape[1], (n,), generator=gen)]
    lam = 0.5 - spread + 2 * spread * torch.rand(n, 1, generator=gen)
    return lam * codes[i] + (1 - lam) * codes[j]


@torch.no_grad()
def decode(net: torch.nn.Module, z: torch.Tensor, batch: int = 128) -> torch.Tensor:
    """Images [n, C, S, S] in [-1, 1] for codes [n, L]."""
    return torch.cat([net.decode(z[i : i + batch]) for i in range(0, len(z), batch)]).clamp(-1, 1)


def floats(text: str) -> list[float]:
    """A comma list of non-negative numbers, for argparse (a bad one is a one-line error)."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        msg = f"expected a comma list of numbers, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if any(not v >= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected numbers of at least 0, got {text!r}")
    return values


def positive_int(text: str) -> int:
    """An integer of at least 1, for argparse."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def draws(
    run: Run, codes: torch.Tensor, real_holdout: torch.Tensor, args: argparse.Namespace
) -> Iterator[tuple[str, torch.Tensor]]:
    """Each row's name and images [n, C, S, S] in [-1, 1], one row at a time."""
    net = run.models[run.family]
    yield "the run's prior", generate(run, args.n, args.seed).cpu()
    for k in args.gmm:
        prior = LatentPrior(codes.shape[1], "gmm", components=max(1, round(k)))
        prior.fit(codes, torch.Generator().manual_seed(run.cfg.seed))
        z = prior.sample(args.n, torch.Generator().manual_seed(args.seed))
        yield f"GMM, {prior.components} components", decode(net, z)
    for h in args.kde:
        z = kde_draws(codes, args.n, h, torch.Generator().manual_seed(args.seed))
        yield f"kernel density, h {h:g}", decode(net, z)
    for k in (round(v) for v in args.midpoints if round(v) > 0):
        z = neighbour_midpoints(codes, args.n, k, torch.Generator().manual_seed(args.seed))
        yield f"midpoints of {k} nearest neighbours", decode(net, z)
    yield "decoded training codes", decode(net, codes)
    yield "real holdout images", to_unit_float(real_holdout) * 2 - 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", help="a trained AE or VAE run folder")
    p.add_argument("--data", help="the run's dataset, if it moved from where it trained")
    p.add_argument("--n", type=positive_int, default=1000, help="samples per row")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gmm", type=floats, default="10,50", help="refitted GMMs' component counts")
    p.add_argument("--kde", type=floats, default="0.5,0.7", help="kernel bandwidths h")
    p.add_argument("--midpoints", type=floats, default="5", help="k nearest neighbours (0: skip)")
    p.add_argument("--out", help="JSON of every row's metrics")
    p.add_argument("--grids", help="folder for a 64-sample grid per row")
    args = p.parse_args()
    try:
        run = load_run(args.run)
        if run.family not in ("ae", "vae") or run.cfg.model.conditional:
            raise PokegenError(f"{args.run} is not an unconditional AE or VAE run")
        ds = run.load_data(args.data)
    except PokegenError as err:
        sys.exit(f"error: {err}")
    train_idx, holdout_idx = run.split(ds)
    real_train, real_holdout = ds.images[train_idx], ds.images[holdout_idx]
    codes = encode_codes(run.models[run.family], real_train)  # [N, L]
    rows, table = {}, []
    for name, images in draws(run, codes, real_holdout, args):  # one row in memory at a time
        m = compute_metrics(run.family, real_train, real_holdout, images, seed=args.seed)
        rows[name] = {key: m[key] for _, key in COLUMNS}
        table.append([name, *(rows[name][key] for _, key in COLUMNS)])
        if args.grids:
            slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")
            viz.save_grid(images[:64], Path(args.grids) / f"{slug}.png")
        print(f"{name}: done", file=sys.stderr, flush=True)
    machine, command = machine_info(), command_line()
    print("\n".join(header_lines(machine, command)))
    print(markdown_table(["samples", *(h for h, _ in COLUMNS)], table))
    if args.out:
        save_json({"command": command, "machine": machine, "run": args.run, "rows": rows}, args.out)


if __name__ == "__main__":
    main()
