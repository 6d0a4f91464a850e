"""torch.distributed plumbing: who am I, wrap for DDP, and average across ranks."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

T = TypeVar("T")


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job; a plain run is rank 0 of 1."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # this process group was created here, so `cleanup` destroys it

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device_type: str) -> DistInfo:
    """Join the process group torchrun describes in the environment (nccl on GPUs, else gloo)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_initialized():  # the caller set the group up and will tear it down
        return DistInfo(rank, world, local_rank)
    if device_type == "cuda":  # one GPU per process: cuda:LOCAL_RANK
        torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl", device_id=torch.device("cuda", local_rank))
    else:
        dist.init_process_group("gloo")
    return DistInfo(rank, world, local_rank, owns_group=True)


def wrap(module: nn.Module, info: DistInfo, device: torch.device) -> nn.Module:
    """DistributedDataParallel around `module` when the job has several processes."""
    if not info.enabled:
        return module
    ids = (
        [device.index if device.index is not None else info.local_rank]
        if device.type == "cuda"
        else None
    )
    ddp = nn.parallel.DistributedDataParallel
    # Buffers (BatchNorm statistics, spectral-norm vectors, the fitted prior) stay per rank: no
    # broadcast before every forward. torch 2.13 renamed the switch; older torch has the old name.
    no_sync = "forward_sync_buffers" in inspect.signature(ddp).parameters
    return ddp(
        module,
        device_ids=ids,
        **{"forward_sync_buffers" if no_sync else "broadcast_buffers": False},
    )


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module inside a DDP wrapper, so saved names never carry a 'module.' prefix."""
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


def all_reduce_mean(values: dict[str, float], info: DistInfo) -> dict[str, float]:
    """Average logged scalars over ranks (a no-op for a single process)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return {k: float(v) / info.world_size for k, v in zip(keys, t.tolist(), strict=True)}


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def in_turns(fn: Callable[[], T], info: DistInfo) -> T:
    """Rank 0 runs `fn` first (it writes the data cache once), then each node's first process
    (in case the cache is node-local), then every other process, which reads the cache."""
    turn = 0 if info.is_main else 1 if info.local_rank == 0 else 2
    result: Any = None
    for t in range(3 if info.enabled else 1):
        if t == turn:
            result = fn()
        barrier(info)
    return result


def broadcast_object(obj: T, info: DistInfo) -> T:
    """Rank 0's value of `obj` on every rank, so decisions made on rank 0 alone stay collective."""
    if not info.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def max_weight_difference(modules: list[nn.Module], info: DistInfo) -> float:
    """Largest |parameter − rank 0's parameter| over all ranks (0.0 for a single process)."""
    params = [p.detach().float().flatten() for m in modules for p in m.parameters()]
    if not info.enabled or not params:
        return 0.0
    mine = torch.cat(params)
    reference = mine.clone()
    dist.broadcast(reference, src=0)
    diff = (mine - reference).abs().max().reshape(1)
    dist.all_reduce(diff, op=dist.ReduceOp.MAX)
    return float(diff)


def cleanup(info: DistInfo) -> None:
    """Destroy a group `init_distributed` created, so a later run in this process can rejoin."""
    if info.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA, then Apple's MPS, then the CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        from pokegen.errors import PokegenError

        raise PokegenError("--device cuda was asked for but no CUDA GPU is available")
    return torch.device(name)


def amp_dtype(enabled: bool, device: torch.device) -> torch.dtype | None:
    """bf16 where the GPU supports it, else fp16 (which needs a gradient scaler); on a CPU bf16
    where oneDNN has native bf16 kernels (AVX512-BF16, AMX), else None (it would be emulated)."""
    if not enabled:
        return None
    if device.type == "cpu":
        native = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
        return torch.bfloat16 if torch.backends.mkldnn.is_available() and native() else None
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def gather_rng_states(generator: torch.Generator, info: DistInfo) -> list[torch.Tensor]:
    """Every rank's generator state, so an exact resume restores each rank's randomness."""
    state = generator.get_state()
    if not info.enabled:
        return [state]
    gathered: list = [None] * info.world_size
    dist.all_gather_object(gathered, state)
    return gathered
