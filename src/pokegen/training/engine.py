"""The one training loop for every family: data → step → EMA → grids, health, checkpoints."""

from __future__ import annotations

import logging
import math
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import torch
from tqdm import tqdm

from pokegen import config as C
from pokegen.data import (
    class_balanced_weights,
    epoch_indices,
    iterate_batches,
    load_dataset,
    split_indices,
)
from pokegen.errors import TrainingError
from pokegen.models import build_models
from pokegen.training import distributed as dist
from pokegen.training.augment import adapt_probability
from pokegen.training.checkpoint import restore_training, save_checkpoint
from pokegen.training.ema import make_ema, update_ema
from pokegen.training.health import HealthProbe, fit_latent_prior
from pokegen.training.memory import keep_freed_memory
from pokegen.training.rundir import RunDir, resolve_run, run_record
from pokegen.training.schedule import lr_factor, progress, set_lr
from pokegen.training.steps import FAMILY_SPECS, StepContext, learning_rate, make_optimizers

TIMED_BAR = "{desc}: {percentage:3.0f}%|{bar}| {n}/{total} s [{elapsed}<{remaining}{postfix}]"


@contextmanager
def _stop_on_signals():
    """Turn SIGINT/SIGTERM into a flag the loop checks, so it can save before exiting."""
    caught: list[int] = []
    handler = lambda signum, frame: caught.append(signum)  # noqa: E731
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def train(cfg: C.TrainConfig, resume: bool = False, quiet: bool = False) -> Path:
    """Train one model as `cfg` says and return its run folder."""
    cfg, out = resolve_run(C.validate(cfg), resume)
    device = dist.resolve_device(cfg.device)
    info = dist.init_distributed(device.type)
    if info.enabled and device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
    out = Path(dist.broadcast_object(str(out), info))  # one folder even if ranks raced for runs/N
    data_log = None if info.is_main else logging.Logger("pokegen", logging.ERROR)  # rank 0 reports
    data = dist.in_turns(lambda: load_dataset(cfg.data, data_log), info)
    if cfg.model.conditional:
        if not data.label_names:
            raise TrainingError("--conditional needs labels (a CSV or class subfolders)")
        cfg = C.merge(cfg, {"model": {"n_classes": len(data.label_names)}})
    train_idx, holdout_idx = split_indices(len(data), cfg.data.holdout, cfg.data.split_seed)
    run = RunDir(out, is_main=info.is_main, quiet=quiet)
    run.write_json("config.json", run_record(cfg, data, holdout_idx, info.world_size))
    spec = FAMILY_SPECS[cfg.family]
    with torch.random.fork_rng(devices=[]):  # seeded init without leaving global state behind
        torch.manual_seed(cfg.seed)
        models = build_models(cfg.model, cfg.data.image_size, cfg.data.channels).to(device)
    channels_last = spec.channels_last(device)
    if channels_last:
        models = models.to(memory_format=torch.channels_last)
    if device.type == "cpu":  # reuse freed activations instead of faulting in fresh pages
        keep_freed_memory()
    ema = {k: make_ema(models[k]) for k in spec.averaged} if cfg.ema_decay > 0 else {}
    samplers = {k: ema.get(k, models[k]) for k in spec.averaged}  # what grids and samples use
    opts = make_optimizers(cfg, models)
    generator = torch.Generator().manual_seed(cfg.seed * 7919 + info.rank)
    state = {"step": 0, "epoch": 0, "batch": 0, "elapsed": 0.0, "best_swd": None, "aug_p": 0.0}
    if resume:
        tensors, doc = restore_training(out / "checkpoints" / "last.json", models, ema, opts)
        state.update(doc["state"])
        if doc["state"].get("world_size", 1) == info.world_size:
            generator.set_state(tensors[f"extra/rng.rank{info.rank}"])
        else:  # a different process count reshards the data; restart mid-epoch at a clean epoch
            state["batch"] = 0
        run.log(f"resumed {out} at epoch {state['epoch']}, step {state['step']}")
    if info.enabled:
        run.log(
            f"distributed: {info.world_size} processes ({torch.distributed.get_backend()}, "
            f"{device.type}), batch {cfg.batch_size} per process = global batch "
            f"{cfg.batch_size * info.world_size}"
        )

    amp = dist.amp_dtype(cfg.amp, device)
    if cfg.amp and amp is None:
        run.log(f"--amp: no fast bf16 or fp16 kernels on this {device.type}; training in fp32")
    scalers = {k: torch.amp.GradScaler("cuda") for k in opts} if amp == torch.float16 else {}
    nets = {k: dist.wrap(models[k], info, device) for k in spec.optimized}
    ctx = StepContext(cfg, nets, dict(models.items()), opts, generator, device, amp_dtype=amp)
    ctx.scalers, ctx.aug_p = scalers, state["aug_p"]  # p: ADA's, as saved with the run
    ada = cfg.family == "gan" and cfg.loss.ada_target > 0
    images, labels = data.images[train_idx].to(device), data.labels[train_idx].to(device)
    run.save_grid(images[:64], "reals.png", nrow=8)
    probe = HealthProbe(cfg, images, labels, device)
    balanced = cfg.model.conditional and cfg.balance_labels
    weights = class_balanced_weights(labels) if balanced else None

    def checkpoint(name: str) -> None:
        rngs = dist.gather_rng_states(generator, info)
        if not info.is_main:
            return
        # EMA updates copy the online model's (never fitted) prior buffers every step, so the
        # sampler's latent density is refitted right before it is saved, whatever the cadence.
        for k in samplers:
            fit_latent_prior(cfg, samplers[k], images, labels)
        save_checkpoint(
            out / "checkpoints" / name,
            {
                **{f"model.{k}": m for k, m in models.items()},
                **{f"ema.{k}": m for k, m in ema.items()},
            },
            opts,
            {f"rng.rank{r}": s for r, s in enumerate(rngs)},
            {**state, "world_size": info.world_size, "family": cfg.family},
        )

    def progress_grid() -> None:
        for k in samplers:
            fit_latent_prior(cfg, samplers[k], images, labels)
        run.save_grid(probe.fixed_samples(samplers), f"progress/epoch{state['epoch']:05d}.png")

    per_rank = len(train_idx) // info.world_size
    steps_per_epoch = max(1, per_rank // cfg.batch_size) if per_rank >= cfg.batch_size else 1
    budget = math.inf if cfg.minutes is None else cfg.minutes * 60
    total_steps = cfg.epochs * steps_per_epoch
    agreed_elapsed = state["elapsed"]  # the ranks' mean clock, so their learning rates agree
    start = time.time() - state["elapsed"]
    factor = 1.0  # the learning-rate multiplier of the latest step
    # With a time budget the bar counts seconds: the presets' 10,000 epochs' worth of steps
    # would put "0%, 20 hours left" on the screen of an 8-minute run.
    timed = math.isfinite(budget)
    bar = tqdm(
        total=round(budget) if timed else total_steps,
        initial=round(state["elapsed"]) if timed else state["step"],
        disable=quiet or not info.is_main,
        desc=f"{cfg.family}",
        unit="s" if timed else "step",
        bar_format=TIMED_BAR if timed else None,
        dynamic_ncols=True,
    )
    stop_reason = "done"
    with _stop_on_signals() as caught:
        while state["epoch"] < cfg.epochs and stop_reason == "done":
            idx = epoch_indices(
                len(images), state["epoch"], cfg.seed, info.rank, info.world_size, weights
            )
            idx = idx[state["batch"] * cfg.batch_size :]
            if state["batch"] and len(idx) < cfg.batch_size:
                idx = idx[:0]  # resumed after the epoch's last full batch: only leftovers remain
            sums: dict[str, float] = {}
            t_epoch, n_seen, n_batches = time.time(), 0, 0
            for x, y in iterate_batches(
                images, labels, idx, cfg.batch_size, cfg.data.flip, generator
            ):
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                ctx.step = state["step"]
                factor = lr_factor(
                    cfg.lr_schedule, progress(state["step"], total_steps, agreed_elapsed, budget)
                )
                for k, o in opts.items():
                    set_lr(o, learning_rate(cfg, k) * factor)
                stats = spec.step(ctx, x, y)
                total = sum(v for k, v in stats.items() if k.startswith("loss"))
                # Every rank must stop at the same step, or the next collective hangs: agree on
                # NaN, signals and the budget (one tiny all-reduce; nothing for a single process).
                check = dist.all_reduce_mean(
                    {
                        "loss": float(total),
                        "caught": float(bool(caught)),
                        "late": float(time.time() - start > budget),
                        "elapsed": time.time() - start,
                        **({"d_real_sign": float(stats["d_real_sign"])} if ada else {}),
                    },
                    info,
                )
                agreed_elapsed = check["elapsed"]
                if not math.isfinite(check["loss"]):
                    raise TrainingError(
                        f"loss became {check['loss']} at step {state['step']} "
                        f"(epoch {state['epoch']}); stopped, last good checkpoint kept in "
                        f"{out / 'checkpoints'}; try a lower --lr"
                    )
                if ada:  # every rank moves p alike, from the ranks' mean E[sign D(real)]
                    images_per_step = cfg.batch_size * info.world_size
                    ctx.aug_p = state["aug_p"] = adapt_probability(
                        ctx.aug_p,
                        check["d_real_sign"],
                        cfg.loss.ada_target,
                        images_per_step / cfg.loss.ada_images,
                    )
                    stats["aug_p"] = torch.tensor(ctx.aug_p)
                for k, m in ema.items():
                    update_ema(m, models[k], cfg.ema_decay, state["step"])
                state["step"] += 1
                state["batch"] += 1
                n_seen += x.shape[0]
                n_batches += 1
                for k, v in stats.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                done = min(round(time.time() - start), bar.total) if timed else state["step"]
                bar.update(max(0, done - bar.n))
                if state["step"] % 5 == 0:
                    rate = n_seen * info.world_size / max(time.time() - t_epoch, 1e-9)
                    bar.set_postfix(
                        ({"step": state["step"]} if timed else {})
                        | {k: f"{float(v):.3g}" for k, v in stats.items()}
                        | {"img/s": f"{rate:.0f}"}
                    )
                if check["caught"] or check["late"]:
                    stop_reason = "interrupted" if check["caught"] else "time budget reached"
                    break
            state["elapsed"] = time.time() - start
            if n_seen == 0 and stop_reason == "done" and state["batch"] == 0:
                raise TrainingError("no training batch: the dataset is smaller than one batch")
            if stop_reason == "done":
                state["epoch"] += 1
                state["batch"] = 0
            means = dist.all_reduce_mean({k: v / max(1, n_batches) for k, v in sums.items()}, info)
            rate = n_seen * info.world_size / max(time.time() - t_epoch, 1e-9)
            run.append_stats(
                {
                    "kind": "train",
                    "epoch": state["epoch"],
                    "step": state["step"],
                    "time": round(state["elapsed"], 2),
                    "images_per_sec": round(rate, 1),
                    "lr_factor": round(factor, 4),
                    **means,
                }
            )
            epoch, last = state["epoch"], state["epoch"] >= cfg.epochs or stop_reason != "done"
            if (epoch % cfg.sample_every == 0 or last) and info.is_main:
                progress_grid()
            if (epoch % cfg.eval_every == 0 or last) and stop_reason != "interrupted":
                # Rank 0 measures; every rank takes its numbers so all call checkpoint() alike.
                health = probe.measure(samplers, means) if info.is_main else {}
                health = dist.broadcast_object(health, info)
                run.append_stats(
                    {
                        "kind": "eval",
                        "epoch": epoch,
                        "step": state["step"],
                        "time": round(time.time() - start, 2),
                        **health,
                    }
                )
                if state["best_swd"] is None or health["swd_mean"] < state["best_swd"]:
                    state["best_swd"] = health["swd_mean"]
                    checkpoint("best")
                run.plot()
            if epoch % cfg.checkpoint_every == 0 or last:
                checkpoint("last")
    bar.close()
    if info.enabled:  # DDP keeps replicas bitwise equal; any difference is a bug, not noise
        diff = dist.max_weight_difference([*models.values(), *ema.values()], info)
        if diff > 1e-5:
            raise TrainingError(f"weights differ across ranks by up to {diff:.3g}; a rank diverged")
        run.log(f"ranks in sync: {info.world_size} processes, max |Δweight| = {diff:.3g}")
    run.plot()
    message = {
        "done": "finished",
        "time budget reached": "stopped: time budget reached",
        "interrupted": "interrupted",
    }[stop_reason]
    run.log(
        f"{message} at epoch {state['epoch']}, step {state['step']} "
        f"({state['elapsed'] / 60:.1f} min); checkpoint: {out / 'checkpoints' / 'last.json'}"
    )
    dist.barrier(info)
    dist.cleanup(info)
    if stop_reason == "interrupted":
        raise KeyboardInterrupt(
            f"interrupted; resume with: pokegen train {cfg.family} --out {out} --resume"
        )
    return out
