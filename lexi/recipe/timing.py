"""Where a recipe's wall time went, step by step: the breakdown ``lexi bootstrap`` prints
at its end and writes into its JSON (``--json``; ``summary.json`` with several languages).

A step's time is its command's (start to end, :class:`~lexi.recipe.runner.StepOutcome`
``seconds``); the runner's own work on it (hashing inputs and outputs to decide whether
it runs, and recording it) is ``check_seconds``; what is left of the wall time (resolving
the language and its files, loading the recipe, reading the evaluation) is "outside the
steps". A skipped step costs its check only; the time its command took when it last ran
is kept beside it (``last_seconds``), so a rerun still shows what each step costs.
"""

from __future__ import annotations

from collections.abc import Sequence

from lexi.recipe.runner import StepOutcome

RAN = ("ran", "would-run")


def step_times(outcomes: Sequence[StepOutcome]) -> list[dict]:
    """One JSON-ready record per step, in the order they came."""
    return [{"step": o.name, "status": o.status, "seconds": round(o.seconds, 3),
             "check_seconds": round(o.check_seconds, 3),
             "last_seconds": None if o.last_seconds is None else round(o.last_seconds, 3)}
            for o in outcomes]


def timing(outcomes: Sequence[StepOutcome], wall_seconds: float) -> dict:
    """The whole breakdown: wall time, each step, the runner's checks, and the rest."""
    steps = step_times(outcomes)
    in_steps = sum(s["seconds"] for s in steps)
    checks = sum(s["check_seconds"] for s in steps)
    return {"wall_seconds": round(wall_seconds, 3), "steps": steps,
            "step_seconds": round(in_steps, 3), "check_seconds": round(checks, 3),
            "other_seconds": round(max(wall_seconds - in_steps - checks, 0.0), 3)}


def _cell(step: dict) -> str:
    if step["status"] in RAN:
        return f"{step['seconds']:.1f}"
    last = step.get("last_seconds")
    return "skipped" + ("" if last is None else f" (ran in {last:.1f})")


def breakdown_rows(record: dict) -> list[list[str]]:
    """``[step, status, seconds, share of the wall time]`` rows of :func:`timing`'s record,
    then the runner's checks, the time outside the steps and the total."""
    wall = record["wall_seconds"]

    def share(seconds: float) -> str:
        return f"{100 * seconds / wall:.0f}%" if wall > 0 else "—"

    def seconds(step: dict) -> str:
        last = step.get("last_seconds")
        if step["status"] in RAN or last is None:
            return f"{step['seconds']:.1f}"
        return f"{step['seconds']:.1f} (last ran: {last:.1f})"

    rows = [[s["step"], s["status"], seconds(s), share(s["seconds"])] for s in record["steps"]]
    rows.append(["(runner: checks and hashing)", "", f"{record['check_seconds']:.1f}",
                 share(record["check_seconds"])])
    rows.append(["(outside the steps)", "", f"{record['other_seconds']:.1f}",
                 share(record["other_seconds"])])
    rows.append(["total", "", f"{wall:.1f}", "100%" if wall > 0 else "—"])
    return rows


def matrix_rows(records: dict[str, dict]) -> list[list[str]]:
    """Several languages side by side: ``[step, seconds in language 1, ...]`` rows (``—``
    for a step a language does not have), then checks, outside the steps and total.
    ``records`` maps each language's label to its :func:`timing` record (or None: it
    failed before its recipe ran)."""
    names: dict[str, None] = {}
    cells: dict[str, dict[str, str]] = {}
    for label, record in records.items():
        cells[label] = {}
        for step in (record or {}).get("steps", []):
            names.setdefault(step["step"])
            cells[label][step["step"]] = _cell(step)
    rows = [[name, *(cells[label].get(name, "—") for label in records)] for name in names]
    for title, key in (("(runner: checks and hashing)", "check_seconds"),
                       ("(outside the steps)", "other_seconds"), ("total", "wall_seconds")):
        rows.append([title, *("—" if not record else f"{record[key]:.1f}"
                              for record in records.values())])
    return rows
