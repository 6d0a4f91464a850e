"""A small type classifier that judges conditional samples: does a "Fire" sample look Fire?

It predicts the run's own label vocabulary (Type1 + Type2, multi-hot), the exact vocabulary
the conditional generator was trained on, so every conditioned type can be scored — a Type1
softmax could not score "Flying" (3 Pokémon have it as Type1, 98 as either type).
Loss: per-type sigmoid + binary cross-entropy (a multi-label classifier); the top prediction
(argmax of the logits) is what the accuracy metrics read. Rare labels (even 1–3 examples)
are drawn as often as common ones by the class-balanced sampler the generators use, so
their logits are not pushed down by base rates. Images are seen as a viewer sees them (RGB,
transparency composited onto white), shrunk to at most 32 px — colour and silhouette carry
the type — and augmented with horizontal flips and translations (never colour jitter:
colour is the signal). Training is seeded and never touches the global RNG.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from pokegen.data.sampler import class_balanced_weights
from pokegen.evaluation.images import resize, to_rgb_uint8

VERSION = 1  # bump when the network, preprocessing or training changes: invalidates caches
CACHE_NAME = "type_classifier"


@dataclass(frozen=True)
class ClassifierConfig:
    """Hyperparameters; part of the cache key, so changing one retrains on the next evaluation."""

    width: int = 24  # channels of the first stage; doubles per stage
    stages: int = 4  # 32 → 16 → 8 → 4 px
    convs: int = 1  # 3×3 conv + BN + ReLU layers per stage
    max_input: int = 32  # images are shrunk to min(image size, this) before the network
    epochs: float = 50.0  # passes over the labelled training images (balanced draws) ...
    min_steps: int = 60  # ... but at least this many and at most max_steps optimiser steps
    max_steps: int = 600
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.2
    seed: int = 0


class TypeClassifier(nn.Module):
    """Conv stages, global average+max pooling, a linear head: RGB [B, 3, r, r] → logits [B, K]."""

    def __init__(
        self,
        n_classes: int,
        input_size: int,
        width: int = 24,
        dropout: float = 0.2,
        stages: int = 4,
        convs: int = 1,
    ):
        super().__init__()
        self.n_classes, self.input_size = n_classes, input_size
        layers: list[nn.Module] = []
        c_in = 3
        for i in range(stages):
            c_out = width * 2**i
            if i > 0:
                layers.append(nn.AvgPool2d(2))
            for _ in range(convs):
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out)]
                layers.append(nn.ReLU(inplace=True))
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Prepared images (see `prepare`) → logits [B, K]."""
        h = self.features(x)  # [B, 4w, r/4, r/4]
        return self.head(torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1))


def prepare(images: torch.Tensor, input_size: int) -> torch.Tensor:
    """uint8 or [-1, 1] images of any channel count → float RGB [N, 3, r, r] in [-1, 1]."""
    x = to_rgb_uint8(images).float() / 127.5 - 1.0  # what a viewer sees: RGBA over white
    return resize(x, input_size)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and shifts of up to 1/8 of the size (edge pixels repeated)."""
    b, _, h, w = x.shape
    flip = (torch.rand(b, generator=generator) < 0.5).view(-1, 1, 1, 1)
    x = torch.where(flip, x.flip(-1), x)
    s = max(1, round(h / 8))
    padded = F.pad(x, (s, s, s, s), mode="replicate")  # [B, C, H+2s, W+2s]
    ty = torch.randint(0, 2 * s + 1, (b, 1), generator=generator)
    tx = torch.randint(0, 2 * s + 1, (b, 1), generator=generator)
    rows = (ty + torch.arange(h))[:, :, None]  # [B, H, 1]
    cols = (tx + torch.arange(w))[:, None, :]  # [B, 1, W]
    out = padded[torch.arange(b)[:, None, None], :, rows, cols]  # [B, H, W, C]
    return out.permute(0, 3, 1, 2).contiguous()


def train_steps(n_labelled: int, cfg: ClassifierConfig) -> int:
    """Optimiser steps for a training set: `epochs` passes, clamped to [min_steps, max_steps]."""
    steps = math.ceil(cfg.epochs * n_labelled / cfg.batch_size)
    return int(min(cfg.max_steps, max(cfg.min_steps, steps)))


def train_classifier(
    images: torch.Tensor, labels: torch.Tensor, cfg: ClassifierConfig = ClassifierConfig()
) -> tuple[TypeClassifier, dict]:
    """Fit on real training images uint8 [N, C, S, S] with multi-hot labels [N, K]."""
    keep = labels.sum(1) > 0  # unlabelled images teach nothing about types
    if int(keep.sum()) == 0 or labels.shape[1] == 0:
        raise ValueError("the type classifier needs labelled images")
    size = min(images.shape[-1], cfg.max_input)
    x, y = prepare(images[keep], size), labels[keep].float().cpu()  # [N, 3, r, r], [N, K]
    weights = class_balanced_weights(y).double()  # rare labels drawn as often as common ones
    steps = train_steps(len(x), cfg)
    gen = torch.Generator().manual_seed(cfg.seed)
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):  # seeded init and dropout, global RNG left alone
        torch.manual_seed(cfg.seed)
        net = TypeClassifier(y.shape[1], size, cfg.width, cfg.dropout, cfg.stages, cfg.convs)
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps)
        net.train()
        for _ in range(steps):
            idx = torch.multinomial(weights, cfg.batch_size, replacement=True, generator=gen)
            logits = net(augment(x[idx], gen))  # [B, K]
            loss = F.binary_cross_entropy_with_logits(logits, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    info = {
        "n_train": len(x),
        "steps": steps,
        "final_loss": round(float(loss.detach()), 5),
        "train_seconds": round(time.perf_counter() - start, 2),
    }
    return net.eval(), info


@torch.no_grad()
def classify(net: TypeClassifier, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Logits [N, K] of images in any accepted format (eval mode, CPU)."""
    net.eval()
    if images.shape[0] == 0:
        return torch.zeros(0, net.n_classes)
    x = prepare(images, net.input_size)
    return torch.cat([net(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def cache_key(
    cfg: ClassifierConfig,
    label_names: list[str],
    data_fingerprint: str,
    train_idx: torch.Tensor,
    image_shape: tuple[int, ...],
) -> dict:
    """What the cached weights depend on: same key → same classifier, so no retraining."""
    split = hashlib.sha256(train_idx.to(torch.int64).numpy().tobytes()).hexdigest()[:16]
    return {
        "version": VERSION,
        "config": asdict(cfg),
        "label_names": list(label_names),
        "data_fingerprint": data_fingerprint,
        "train_split_sha": split,
        "image_shape": list(image_shape),
    }


def save_classifier(net: TypeClassifier, run_dir: Path, key: dict, info: dict) -> Path:
    """RUN/type_classifier.safetensors (weights) + .json (key, shapes, training info)."""
    weights = run_dir / f"{CACHE_NAME}.safetensors"
    tmp = weights.with_name(f".{weights.name}.tmp")
    save_file({k: v.detach().contiguous().clone() for k, v in net.state_dict().items()}, str(tmp))
    os.replace(tmp, weights)
    doc = {"key": key, "n_classes": net.n_classes, "input_size": net.input_size, "info": info}
    doc_path = weights.with_suffix(".json")
    tmp = doc_path.with_name(f".{doc_path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, doc_path)
    return weights


def load_cached(run_dir: Path, key: dict) -> tuple[TypeClassifier, dict] | None:
    """The cached classifier when its key matches, else None (stale or unreadable caches too)."""
    doc_path, weights = run_dir / f"{CACHE_NAME}.json", run_dir / f"{CACHE_NAME}.safetensors"
    try:
        doc = json.loads(doc_path.read_text())
        if doc.get("key") != key:
            return None
        cfg = ClassifierConfig(**key["config"])
        net = TypeClassifier(
            doc["n_classes"], doc["input_size"], cfg.width, cfg.dropout, cfg.stages, cfg.convs
        )
        net.load_state_dict(load_file(str(weights)))
    except Exception:  # missing, partial or foreign files: retrain rather than fail
        return None
    return net.eval(), doc.get("info", {})


def load_or_train(
    run_dir: Path,
    images: torch.Tensor,
    labels: torch.Tensor,
    key: dict,
    cfg: ClassifierConfig = ClassifierConfig(),
) -> tuple[TypeClassifier, dict]:
    """The run's classifier from its cache, or trained on `images` and cached for next time."""
    cached = load_cached(run_dir, key)
    if cached is not None:
        return cached[0], {**cached[1], "cached": True}
    net, info = train_classifier(images, labels, cfg)
    save_classifier(net, run_dir, key, info)
    return net, {**info, "cached": False}
