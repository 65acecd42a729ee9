"""Where training runs: devices, ``torchrun`` process groups, autocast, versions."""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import platform
import resource
from dataclasses import dataclass

import torch

from lexi.environment import cpu_has_bf16
from lexi.errors import LexiError


@dataclass(frozen=True)
class Distributed:
    """Where this process sits in a ``torchrun`` launch (world size 1 without one)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    local_world_size: int = 1

    @classmethod
    def from_env(cls) -> Distributed:
        env = os.environ
        return cls(int(env.get("RANK", 0)), int(env.get("LOCAL_RANK", 0)),
                   int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_WORLD_SIZE", 1)))

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise LexiError("--device cuda, but no CUDA device is available",
                            hint="use --device cpu or auto")
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def peak_memory_bytes(device: torch.device) -> int:
    """Peak GPU memory allocated, or the process's peak resident memory on CPU."""
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # KiB on Linux


def versions() -> dict[str, str]:
    import peft
    import transformers

    from lexi.version import __version__

    return {"lexi": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__}


def use_cpu_bf16(requested: bool | None, device: torch.device) -> bool:
    """Whether training autocasts to bf16 on ``device`` (a CPU): ``requested`` when given
    (``--cpu-bf16`` / ``--no-cpu-bf16``), else whether the CPU has bf16 units. Always
    false on CUDA, where :func:`autocast` turns bf16 on by itself."""
    if device.type != "cpu":
        return False
    if requested is None:
        return cpu_has_bf16()
    return requested


def autocast(device: torch.device, cpu_bf16: bool = False):
    """bf16 autocast on CUDA always; on the CPU when ``cpu_bf16`` (resolved by
    :func:`use_cpu_bf16`: whether it pays there depends on the CPU's bf16 units)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if cpu_bf16:
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def barrier(dist_env: Distributed) -> None:
    if dist_env.world_size > 1:
        torch.distributed.barrier()


def mean_over_processes(values: list[float], device: torch.device,
                         dist_env: Distributed) -> float:
    """The mean of every process's ``values`` (NaN stays NaN: a bad process is seen by all)."""
    sums = torch.tensor([math.fsum(values), float(len(values))], dtype=torch.float64)
    if dist_env.world_size > 1:
        sums = sums.to(device)
        torch.distributed.all_reduce(sums)
        sums = sums.cpu()
    total, count = sums.tolist()
    return total / max(count, 1.0)


def training_network(model: torch.nn.Module, dist_env: Distributed, device: torch.device, *,
                     compile_model: bool = False, cpu_bf16: bool = False,
                     fast_dropout: bool = True) -> torch.nn.Module:
    """The module the training loop calls: ``model`` itself, compiled (``--compile``) and
    wrapped for DistributedDataParallel when there are several processes. Evaluation and
    saving keep using ``model``, which shares the parameters. First, in ``model`` itself:
    cheaper dropout masks on the CPU (``fast_dropout``) and LoRA inputs left in the
    autocast dtype when the step runs under bf16 autocast (:mod:`lexi.model.fastpath`)."""
    from lexi.model.fastpath import speed_up_training

    speed_up_training(model, device, device.type == "cuda" or cpu_bf16,
                      fast_dropout=fast_dropout)
    network = model
    if compile_model:
        # Dynamic from the start: bucketed batches change length every few steps, and a
        # static graph would recompile for each new length.
        network = torch.compile(model, dynamic=True)
    if dist_env.world_size > 1:
        # No buffer broadcast: the encoder's buffers are constants, and a broadcast per
        # forward would deadlock the unevenly sharded dev evaluation (done on ``model``).
        ddp = torch.nn.parallel.DistributedDataParallel
        no_buffer_sync = ({"forward_sync_buffers": False}
                          if "forward_sync_buffers" in inspect.signature(ddp).parameters
                          else {"broadcast_buffers": False})
        network = ddp(network, device_ids=[device.index] if device.type == "cuda" else None,
                      **no_buffer_sync)
    return network
