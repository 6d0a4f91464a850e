"""The one loop, end to end on a tiny fixture dataset: files, resume, interrupts, NaN, seeds."""

import dataclasses
import json
import math
import os
import signal

import pytest
import torch

from pokegen import config as C
from pokegen.errors import RunError, TrainingError
from pokegen.sampling import generate, load_run, reconstruct
from pokegen.training import distributed, engine, steps
from pokegen.training.checkpoint import load_checkpoint


def tiny(family, data, out, **kw):
    base = {
        "data": {"path": str(data), "image_size": 16, "holdout": 0.2},
        "model": {"latent_dim": 8, "width": 8, "max_width": 16},
        "out": str(out),
        "epochs": 2,
        "minutes": None,  # bounded by epochs: the lr schedule then follows steps, not the clock
        "batch_size": 6,
        "device": "cpu",
        "sample_every": 1,
        "eval_every": 1,
        "checkpoint_every": 1,
    }
    return C.preset(family, "quick", **C._deep_update(base, kw))


def weights(run_dir):
    tensors, doc = load_checkpoint(run_dir / "checkpoints" / "last.json")
    return tensors, doc["state"]


@pytest.mark.parametrize("family", ["ae", "vae", "gan"])
def test_training_writes_the_run_folder(family, kaggle_dir, tmp_path):
    out = engine.train(tiny(family, kaggle_dir, tmp_path / family), quiet=True)
    for name in [
        "config.json",
        "stats.jsonl",
        "log.txt",
        "reals.png",
        "loss.png",
        "health.png",
        "progress/epoch00001.png",
        "progress/epoch00002.png",
        "checkpoints/last.json",
        "checkpoints/last.safetensors",
        "checkpoints/best.json",
    ]:
        assert (out / name).is_file(), name
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    assert [r["epoch"] for r in train_rows] == [1, 2]
    assert all(
        r["images_per_sec"] > 0
        and torch.isfinite(torch.tensor(r["loss" if family != "gan" else "loss_g"]))
        for r in train_rows
    )
    assert any("swd_mean" in r for r in rows if r["kind"] == "eval")
    if family == "gan":
        assert all(-1 <= r["d_real_sign"] <= 1 for r in train_rows)
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"]["data"]["image_size"] == 16
    assert (
        saved["data"]["n_train"] + len(saved["data"]["holdout_names"]) == saved["data"]["n_images"]
    )


@pytest.mark.parametrize("family", ["ae", "vae", "gan"])
def test_same_seed_same_samples_and_load_is_faithful(family, kaggle_dir, tmp_path):
    a = engine.train(tiny(family, kaggle_dir, tmp_path / "a", epochs=1), quiet=True)
    b = engine.train(tiny(family, kaggle_dir, tmp_path / "b", epochs=1), quiet=True)
    run_a, run_b = load_run(a), load_run(b)
    if family == "gan":  # the preset's self-attention is trained, saved and rebuilt too
        assert run_a.models["generator"].net.attention.gain.item() != 0
    assert torch.equal(generate(run_a, 8, seed=3), generate(run_b, 8, seed=3))
    assert torch.equal(generate(run_a, 8, seed=3), generate(load_run(a), 8, seed=3))
    assert not torch.equal(generate(run_a, 8, seed=3), generate(run_a, 8, seed=4))


def test_refine_steps_travel_with_the_run_and_touch_sampling_only(kaggle_dir, tmp_path):
    a = engine.train(tiny("vae", kaggle_dir, tmp_path / "a", epochs=1), quiet=True)
    cfg = tiny("vae", kaggle_dir, tmp_path / "b", epochs=1, model={"refine_steps": 2})
    b = engine.train(cfg, quiet=True)
    assert json.loads((b / "config.json").read_text())["config"]["model"]["refine_steps"] == 2
    (ta, _), (tb, _) = weights(a), weights(b)
    assert ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)
    refined = generate(load_run(a, refine_steps=2), 8, seed=3)
    assert torch.equal(generate(load_run(b), 8, seed=3), refined)
    grid = "progress/epoch00001.png"
    assert (a / grid).read_bytes() != (b / grid).read_bytes()  # the grids show refined samples


def test_other_seed_gives_other_weights(kaggle_dir, tmp_path):
    a = engine.train(tiny("ae", kaggle_dir, tmp_path / "a", epochs=1), quiet=True)
    b = engine.train(tiny("ae", kaggle_dir, tmp_path / "b", epochs=1, seed=1), quiet=True)
    ta, tb = weights(a)[0], weights(b)[0]
    assert any(not torch.equal(ta[k], tb[k]) for k in ta if k.startswith("model."))


# p moves by 0.2 per step of 6 images; the discriminator's logits are all 0 for two steps, so
# that run is interrupted a step later, after p has first moved. It is the plain GAN: with the
# preset's encoder the initial weights differ and p first moves after the fixture's first epoch.
ADA = {"ada_target": 0.05, "ada_images": 30}


@pytest.mark.parametrize(
    "family,schedule,loss,at",
    [
        ("ae", "cosine", {}, 2),
        ("vae", "constant", {}, 2),
        ("gan", "cosine", {}, 2),
        ("gan", "constant", ADA, 3),
    ],
)
def test_interrupt_then_resume_matches_an_uninterrupted_run(
    family, schedule, loss, at, kaggle_dir, tmp_path, monkeypatch
):
    kw = {"epochs": 2, "lr_schedule": schedule, "loss": loss}
    if loss:
        kw["model"] = {"encoder": False}
    straight = engine.train(tiny(family, kaggle_dir, tmp_path / "straight", **kw), quiet=True)

    spec = steps.FAMILY_SPECS[family]
    calls = {"n": 0}

    def interrupting(ctx, x, y):
        calls["n"] += 1
        if calls["n"] == at:  # the fixture has 3 batches per epoch
            os.kill(os.getpid(), signal.SIGINT)
        return spec.step(ctx, x, y)

    # dataclasses.replace keeps the family's memory layout: only the step is wrapped.
    monkeypatch.setitem(steps.FAMILY_SPECS, family, dataclasses.replace(spec, step=interrupting))
    cfg = tiny(family, kaggle_dir, tmp_path / "resumed", **kw)
    with pytest.raises(KeyboardInterrupt, match="--resume"):
        engine.train(cfg, quiet=True)
    _, state = weights(tmp_path / "resumed")
    assert (state["step"], state["epoch"], state["batch"]) == (at, 0, at)
    assert (state["aug_p"] > 0) == bool(loss)  # ADA's p is loop state the resume must restore
    load_run(tmp_path / "resumed")  # an interrupted run is loadable

    monkeypatch.setitem(steps.FAMILY_SPECS, family, spec)
    engine.train(cfg, resume=True, quiet=True)
    (a, sa), (b, sb) = weights(straight), weights(tmp_path / "resumed")
    assert sa["step"] == sb["step"] and sa["epoch"] == sb["epoch"] == 2
    assert sa["aug_p"] == sb["aug_p"]
    for key in a:
        if key.startswith(("model.", "ema.", "optim.")):
            assert torch.allclose(a[key].float(), b[key].float(), atol=1e-6), key


def test_nan_loss_stops_cleanly_and_keeps_last_good_checkpoint(kaggle_dir, tmp_path, monkeypatch):
    spec = steps.FAMILY_SPECS["ae"]
    calls = {"n": 0}

    def poisoned(ctx, x, y):
        calls["n"] += 1
        stats = spec.step(ctx, x, y)
        if calls["n"] == 5:  # in the second epoch, after the first checkpoint
            stats["loss"] = torch.tensor(float("nan"))
        return stats

    monkeypatch.setitem(steps.FAMILY_SPECS, "ae", dataclasses.replace(spec, step=poisoned))
    with pytest.raises(TrainingError, match="nan at step 4"):
        engine.train(tiny("ae", kaggle_dir, tmp_path / "run", epochs=3), quiet=True)
    _, state = weights(tmp_path / "run")
    assert state["epoch"] == 1
    load_run(tmp_path / "run")


def test_minutes_budget_stops_early_with_a_checkpoint(kaggle_dir, tmp_path):
    out = engine.train(
        tiny("ae", kaggle_dir, tmp_path / "run", epochs=1000, minutes=0.0005), quiet=True
    )
    _, state = weights(out)
    assert 1 <= state["step"] < 1000
    assert "time budget" in (out / "log.txt").read_text()


@pytest.mark.parametrize("minutes,shown", [(0.05, "/3 s ["), (None, "/6 [")])
def test_progress_bar_counts_seconds_under_a_time_budget_else_steps(
    minutes, shown, kaggle_dir, tmp_path, capsys
):
    # 2 epochs of 3 steps; a 3-second budget that binds before 1000 epochs is shown in seconds.
    epochs = 1000 if minutes else 2
    engine.train(tiny("ae", kaggle_dir, tmp_path / "run", epochs=epochs, minutes=minutes))
    assert shown in capsys.readouterr().err


def test_existing_run_is_not_overwritten_and_resume_needs_a_run(kaggle_dir, tmp_path):
    cfg = tiny("ae", kaggle_dir, tmp_path / "run", epochs=1)
    engine.train(cfg, quiet=True)
    with pytest.raises(RunError, match="--resume"):
        engine.train(cfg, quiet=True)
    with pytest.raises(RunError, match="nothing to resume"):
        engine.train(tiny("ae", kaggle_dir, tmp_path / "empty"), resume=True, quiet=True)


def test_resume_extends_training_with_more_epochs(kaggle_dir, tmp_path):
    cfg = tiny("vae", kaggle_dir, tmp_path / "run", epochs=1)
    engine.train(cfg, quiet=True)
    engine.train(C.merge(cfg, {"epochs": 2}), resume=True, quiet=True)
    _, state = weights(tmp_path / "run")
    assert state["epoch"] == 2


def test_every_checkpoint_carries_a_fitted_latent_prior(kaggle_dir, tmp_path):
    # Grids every 3 epochs, health and checkpoints every epoch: with a near-zero lr the "best"
    # checkpoint comes from a grid-less epoch, yet sampling from it needs the fitted AE prior.
    cfg = tiny("ae", kaggle_dir, tmp_path / "run", epochs=3, sample_every=3, eval_every=1, lr=1e-12)
    out = engine.train(cfg, quiet=True)
    for name in ("last", "best"):
        tensors, _ = load_checkpoint(out / "checkpoints" / f"{name}.json")
        assert bool(tensors["ema.ae/prior.fitted"]), name


def test_cosine_schedule_anneals_the_learning_rate_to_zero_over_the_epochs(kaggle_dir, tmp_path):
    out = engine.train(
        tiny("ae", kaggle_dir, tmp_path / "run", epochs=3, lr_schedule="cosine"), quiet=True
    )
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    factors = [r["lr_factor"] for r in rows if r["kind"] == "train"]
    assert len(factors) == 3 and 1.0 > factors[0] > factors[1] > factors[2] > 0.0
    _, doc = load_checkpoint(out / "checkpoints" / "last.json")
    lr = doc["optimizers"]["optim.ae"]["param_groups"][0]["lr"]  # the last step's annealed rate
    assert 0 < lr < 0.1 * 1e-3


def test_resume_after_an_epochs_last_batch_continues(kaggle_dir, tmp_path, monkeypatch):
    """A stop right after an epoch's last batch leaves nothing of that epoch to run on resume."""
    spec = steps.FAMILY_SPECS["ae"]
    calls = {"n": 0}

    def interrupting(ctx, x, y):
        calls["n"] += 1
        if calls["n"] == 3:  # the fixture has 3 batches per epoch: stop on the last
            os.kill(os.getpid(), signal.SIGINT)
        return spec.step(ctx, x, y)

    monkeypatch.setitem(steps.FAMILY_SPECS, "ae", dataclasses.replace(spec, step=interrupting))
    cfg = tiny("ae", kaggle_dir, tmp_path / "run", epochs=2)
    with pytest.raises(KeyboardInterrupt):
        engine.train(cfg, quiet=True)
    assert weights(tmp_path / "run")[1]["batch"] == 3
    monkeypatch.setitem(steps.FAMILY_SPECS, "ae", spec)
    engine.train(cfg, resume=True, quiet=True)
    assert weights(tmp_path / "run")[1]["step"] == 6


def test_vae_gan_trains_its_encoder_logs_the_elbo_and_reloads(kaggle_dir, tmp_path):
    cfg = tiny("gan", kaggle_dir, tmp_path / "g", epochs=1, model={"encoder": True})
    out = engine.train(cfg, quiet=True)
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    nelbo = [r["loss_g_nelbo"] for r in rows if r["kind"] == "train"]
    assert nelbo and torch.isfinite(torch.tensor(nelbo)).all()
    tensors, _ = weights(out)
    enc = [k for k in tensors if k.startswith("model.generator/encoder.")]
    assert enc and any(k.startswith("ema.generator/encoder.") for k in tensors)
    frozen = C.merge(cfg, {"out": str(tmp_path / "h"), "lr": 1e-12})  # same init, no learning
    start = weights(engine.train(frozen, quiet=True))[0]
    assert any(not torch.allclose(tensors[k], start[k]) for k in enc)  # the encoder learns
    run = load_run(out)
    samples = generate(run, 4, seed=1)  # a strict load accepts the encoder's weights
    assert samples.shape == (4, 3, 16, 16) and samples.abs().max() <= 1
    recon = reconstruct(run, samples)  # through the posterior mean: deterministic
    assert recon.shape == samples.shape and torch.equal(recon, reconstruct(run, samples))
    assert not torch.equal(recon, reconstruct(run, -samples))  # it reads its input


@pytest.mark.parametrize(("adversarial", "decoded"), [("samples", 12), ("recons", 6)])
def test_vae_gan_decodes_prior_samples_only_when_the_discriminator_judges_them(
    adversarial, decoded, kaggle_dir, tmp_path, monkeypatch
):
    from pokegen.models.fastgan import FastGANGenerator

    seen, forward = [], FastGANGenerator.forward

    def spy(self, z, y=None, temperature=1.0):
        if torch.is_grad_enabled():  # training passes, not progress grids or health probes
            seen.append(z.shape[0])
        return forward(self, z, y, temperature)

    monkeypatch.setattr(FastGANGenerator, "forward", spy)
    loss = {"adversarial": adversarial, "mode_seeking": 0.0}
    cfg = tiny("gan", kaggle_dir, tmp_path / "g", epochs=1, model={"encoder": True}, loss=loss)
    out = engine.train(cfg, quiet=True)
    assert seen and max(seen) == decoded  # batch 6: reconstructions (+ as many prior samples)
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    assert all(math.isfinite(r["loss_d"]) for r in rows if r["kind"] == "train")


def test_a_discriminator_without_decoders_trains_saves_and_reloads(kaggle_dir, tmp_path):
    model = {"encoder": True, "d_decoders": False}
    cfg = tiny("gan", kaggle_dir, tmp_path / "g", epochs=1, model=model)
    out = engine.train(cfg, quiet=True)
    rows = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    assert train_rows and all(math.isfinite(r["loss_d"]) for r in train_rows)
    assert not any("loss_d_recon" in r for r in train_rows)  # no decoders, no such term
    tensors, _ = weights(out)
    assert any(k.startswith("model.discriminator/") for k in tensors)
    assert not any("decode" in k for k in tensors)
    run = load_run(out)  # rebuilt from config.json alone, loaded strictly
    assert not run.cfg.model.d_decoders
    torch.testing.assert_close(generate(run, 4, seed=1), generate(load_run(out), 4, seed=1))


def test_feature_matching_reaches_the_generator_update(kaggle_dir, tmp_path):
    model = {"encoder": True}
    loss = {"adversarial": "recons", "mode_seeking": 0.0}
    plain = tiny("gan", kaggle_dir, tmp_path / "p", epochs=1, model=model, loss=loss)
    plain = engine.train(plain, quiet=True)
    loss_fm = {**loss, "feature_matching": 10.0}
    fm = tiny("gan", kaggle_dir, tmp_path / "f", epochs=1, model=model, loss=loss_fm)
    fm = engine.train(fm, quiet=True)
    rows = [json.loads(line) for line in (fm / "stats.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    assert train_rows and all(r["loss_g_fm"] > 0 for r in train_rows)
    a, b = weights(plain)[0], weights(fm)[0]
    gen = [k for k in a if k.startswith("model.generator/")]
    assert gen and any(not torch.equal(a[k], b[k]) for k in gen)  # it moved the generator


def test_amp_on_cpu_trains_in_bf16_where_supported_else_says_so(kaggle_dir, tmp_path):
    fp32 = engine.train(tiny("gan", kaggle_dir, tmp_path / "fp32", epochs=1), quiet=True)
    amp = engine.train(tiny("gan", kaggle_dir, tmp_path / "amp", epochs=1, amp=True), quiet=True)
    rows = [json.loads(line) for line in (amp / "stats.jsonl").read_text().splitlines()]
    assert all(math.isfinite(r["loss_g"]) for r in rows if r["kind"] == "train")
    a, b = weights(fp32)[0], weights(amp)[0]
    differs = any(not torch.equal(a[k], b[k]) for k in a if k.startswith("model."))
    fallback = "training in fp32" in (amp / "log.txt").read_text()
    native = distributed.amp_dtype(True, torch.device("cpu")) is not None
    assert differs == native != fallback
    floats = [b[k] for k in b if k.startswith("model.") and b[k].is_floating_point()]
    assert all(t.dtype == torch.float32 for t in floats)  # fp32 weights
