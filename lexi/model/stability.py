"""Divergence detection for training: when a run has stopped learning, say so and act.

A LoRA run whose learning rate is too high for its data can collapse: the head ends up
predicting the label frequencies, the loss sits at their entropy and dev accuracy at the
majority-class rate. Gradient clipping alone does not prevent it. :class:`DivergenceGuard`
watches the training loss and the dev accuracy and names the first sign of such a state:

- a non-finite loss or gradient norm (at any step);
- a window's mean loss above ``1.5 × ln K`` after warm-up ("exploded": a fresh head starts
  at ``ln K``, so this is a run going backwards);
- after the grace period (``checks_from``), a window's mean loss at or above the entropy of
  the training label frequencies ("stuck": what a model that learned nothing but the
  label counts scores; never above ``ln K``);
- after the grace period, dev accuracy at or below the dev majority-class rate.

The trainer then stops (``on_divergence="stop"``: the run is written as failed) or goes
back once to the last state that passed every check and continues at half the learning
rate (``"retry"``). :class:`Snapshot` holds such a state. ``"warn"`` only logs the loss and
dev findings and trains on: for runs cut short on purpose (a throughput benchmark's few
steps cannot get below the label entropy), where "stuck" says nothing; a non-finite loss
still stops such a run.
"""

from __future__ import annotations

import copy
import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

logger = logging.getLogger("lexi")

ON_DIVERGENCE = ("retry", "stop", "warn")
# How far above a fresh head's loss (ln K) a window's mean must be to count as exploded.
EXPLODED_FACTOR = 1.5
# Learning-rate factor of a retry: halving is the usual first remedy for a blown-up run.
RETRY_LR_SCALE = 0.5
# The loss and dev checks for a stuck run begin after this share of the planned steps
# (and after twice the warm-up): a healthy run is far below the label entropy by then.
GRACE_SHARE = 0.25
MIN_GRACE_STEPS = 20


def label_entropy(labels: Sequence[str]) -> float:
    """Entropy (nats) of the label frequencies: the loss of a model that learned only them."""
    counts = Counter(labels)
    total = sum(counts.values())
    return -sum(c / total * math.log(c / total) for c in counts.values())


def majority_rate(labels: Sequence[str]) -> float:
    """Share of the most frequent label: the accuracy of always predicting it."""
    if not labels:
        return 0.0
    return max(Counter(labels).values()) / len(labels)


@dataclass
class Divergence:
    """Why and where a run was found diverged."""

    step: int
    reason: str
    kind: str
    """``non-finite``, ``exploded``, ``stuck`` or ``dev-at-majority``."""

    def as_dict(self) -> dict:
        return {"step": self.step, "kind": self.kind, "reason": self.reason}


@dataclass
class Snapshot:
    """Trainable weights and optimizer state at a step that passed every check (CPU copies)."""

    step: int
    weights: dict[str, torch.Tensor]
    optimizer: dict

    @classmethod
    def take(cls, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer
             ) -> Snapshot:
        weights = {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters()
                   if p.requires_grad}
        state = optimizer.state_dict()
        state = {"state": {k: {n: (v.to("cpu", copy=True) if torch.is_tensor(v) else v)
                               for n, v in s.items()} for k, s in state["state"].items()},
                 "param_groups": copy.deepcopy(state["param_groups"])}
        return cls(step, weights, state)

    def restore(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        params = dict(model.named_parameters())
        with torch.no_grad():
            for name, value in self.weights.items():
                params[name].copy_(value)
        # load_state_dict moves the moments to each parameter's device; the learning rates
        # it restores are set again by the scheduler's next step.
        optimizer.load_state_dict(copy.deepcopy(self.optimizer))


@dataclass
class DivergenceGuard:
    """The checks of one run; feed it every optimizer step and every dev evaluation."""

    num_labels: int
    label_entropy: float
    """Entropy of the training label frequencies (nats)."""
    dev_majority_rate: float | None
    """Accuracy of always predicting the most frequent dev label (None: no dev set)."""
    warmup_steps: int
    total_steps: int
    window: int = 0
    """Steps whose losses are averaged for one check (0: chosen from ``total_steps``)."""
    losses: list[float] = field(default_factory=list)
    resume_checks_at: int = 0
    """No loss check before this step (after a retry: one window to settle)."""
    warn_only: bool = False
    """``on_divergence="warn"``: a loss or dev finding is logged and kept in ``warnings``,
    not returned (a non-finite loss is still returned)."""
    warnings: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.window <= 0:
            self.window = max(5, min(50, self.total_steps // 20))

    @property
    def uniform_loss(self) -> float:
        return math.log(self.num_labels)

    @property
    def checks_from(self) -> int:
        """First step at which "stuck" and dev checks count (the grace period)."""
        return max(2 * self.warmup_steps, int(GRACE_SHARE * self.total_steps), MIN_GRACE_STEPS)

    def describe(self) -> dict:
        """The thresholds, for ``run.json``."""
        return {"label_entropy": round(self.label_entropy, 6),
                "uniform_loss": round(self.uniform_loss, 6),
                "exploded_loss": round(EXPLODED_FACTOR * self.uniform_loss, 6),
                "dev_majority_rate": self.dev_majority_rate, "window": self.window,
                "checks_from_step": self.checks_from}

    def grad_norm(self, step: int, norm: float) -> Divergence | None:
        """Check the (already all-reduced, so rank-consistent) gradient norm of a step."""
        if math.isfinite(norm):
            return None
        return Divergence(step, f"the gradient norm is {norm} at step {step}", "non-finite")

    def window_due(self, step: int) -> bool:
        """Whether ``step`` closes a loss window (every process sees the same steps)."""
        return step % self.window == 0 and len(self.losses) > 0

    def add_loss(self, loss: float) -> None:
        self.losses.append(loss)

    def check_window(self, step: int, mean_loss: float) -> Divergence | None:
        """Judge the mean loss of the window that ends at ``step`` (mean over processes)."""
        self.losses.clear()
        if not math.isfinite(mean_loss):
            return Divergence(step, f"the training loss is {mean_loss} at step {step}",
                              "non-finite")
        return self._warned(self._judge_window(step, mean_loss))

    def _judge_window(self, step: int, mean_loss: float) -> Divergence | None:
        """The finding for a finite window mean, if any: exploded, then stuck."""
        if step <= self.warmup_steps or step < self.resume_checks_at:
            return None
        if mean_loss > EXPLODED_FACTOR * self.uniform_loss:
            return Divergence(
                step, f"the mean training loss over steps {step - self.window + 1}–{step} is "
                f"{mean_loss:.3f}, above {EXPLODED_FACTOR} × ln({self.num_labels}) = "
                f"{EXPLODED_FACTOR * self.uniform_loss:.3f}: the run is going backwards",
                "exploded")
        if step >= self.checks_from and mean_loss >= self.label_entropy:
            return Divergence(
                step, f"the mean training loss over steps {step - self.window + 1}–{step} is "
                f"{mean_loss:.3f}, no better than predicting the label frequencies "
                f"({self.label_entropy:.3f})", "stuck")
        return None

    def _warned(self, found: Divergence | None) -> Divergence | None:
        """``found``, or with ``warn_only`` None after logging it."""
        if found is None or not self.warn_only:
            return found
        logger.warning("training looks diverged (--on-divergence warn: training on): %s",
                       found.reason)
        self.warnings.append(found.as_dict())
        return None

    def check_dev(self, step: int, accuracy: float) -> Divergence | None:
        """Judge dev accuracy measured at ``step`` (the end of an epoch)."""
        if self.dev_majority_rate is None or step < self.checks_from:
            return None
        if accuracy <= self.dev_majority_rate:
            return self._warned(Divergence(
                step, f"dev accuracy {accuracy:.4f} at step {step} is no better than always "
                f"predicting the most frequent dev label ({self.dev_majority_rate:.4f})",
                "dev-at-majority"))
        return None

    def after_retry(self, step: int) -> None:
        """Give the restored run one window to settle before the loss is judged again."""
        self.losses.clear()
        self.resume_checks_at = step + self.window + 1
