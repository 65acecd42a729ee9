"""`lexi doctor`: what this machine has, and what lexi can use."""

from __future__ import annotations

from rich.table import Table

from lexi.cli._util import AsJson, app, console, print_json
from lexi.environment import environment_report


@app.command("doctor")
def doctor_command(
    as_json: AsJson = False,
) -> None:
    """Python/torch/transformers/peft versions, CUDA and bf16, cache and free space, resources."""
    report = environment_report()
    if as_json:
        print_json(report.as_dict())
        return
    table = Table(title="lexi doctor", show_header=False)
    table.add_row("python", f"{report.python} ({report.platform})")
    for name, version in report.libraries.items():
        table.add_row(name, version or "[yellow]not installed[/]")
    table.add_row("CUDA", ", ".join(report.cuda_devices) or "none (training runs on the CPU)")
    table.add_row("bf16 (CUDA)", "yes" if report.bf16_supported else "no")
    table.add_row("bf16 (CPU)", "yes: lexi train autocasts to bf16 (--no-cpu-bf16: float32)"
                  if report.cpu_bf16 else "no: lexi train runs float32 on the CPU")
    table.add_row("CPU threads", str(report.cpu_threads))
    table.add_row("cache", f"{report.cache_dir} ({report.cache_free_gb} GiB free)")
    for name, present in report.resources.items():
        table.add_row(name, "[green]present[/]" if present else "[yellow]absent[/]")
    console.print(table)
