"""What a training run logs: running means between log lines, metrics.jsonl and TensorBoard."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch

from infogan.run_folder import TENSORBOARD_DIR, append_metrics


class IntervalMeans:
    """Running means of the step metrics between two log lines (checkpointed with the run).

    The sums stay where the metrics are (0-d float64 tensors on the training device) and are
    read once, by ``pop``, ``read_sums`` or ``nonfinite``: a step adds without waiting for the
    device. float64 sums of the float32 metrics add exactly as Python floats do, so the means
    are the same numbers as when each step's metrics were read one by one.
    """

    def __init__(self, reduce: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        self.sums: dict[str, float | torch.Tensor] = {}
        self.count = 0
        self.reduce = reduce  # maps the stacked (M,) sums when they are read: the mean over a run's processes

    def add(self, metrics: dict[str, float | torch.Tensor]) -> None:
        """Add one step's metrics: 0-d tensors (kept on their device) or floats."""
        for name, value in metrics.items():
            value = value.detach().double() if isinstance(value, torch.Tensor) else float(value)
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.count += 1

    def read_sums(self, reduced: bool = True) -> dict[str, float]:
        """The sums as floats (one read of the device), through ``reduce`` unless ``reduced`` is False."""
        if not self.sums:
            return {}
        names = sorted(self.sums)
        device = next((value.device for value in self.sums.values() if isinstance(value, torch.Tensor)), None)
        stacked = torch.stack([torch.as_tensor(self.sums[name], dtype=torch.float64, device=device) for name in names])
        if reduced and self.reduce is not None:
            stacked = self.reduce(stacked)
        return dict(zip(names, stacked.cpu().tolist()))

    def nonfinite(self) -> dict[str, float]:
        """The metrics that were NaN or infinite at some step since the last ``pop``, with their sums."""
        return {name: value for name, value in self.read_sums().items() if not math.isfinite(value)}

    def share(self) -> None:
        """Replace the sums by their ``reduce``d values (in a distributed run: every process then
        holds the run's sums, and a checkpoint of any process continues the same log line)."""
        shared = self.read_sums()
        self.sums = {name: shared[name] for name in self.sums}

    def pop(self) -> dict[str, float]:
        """The means since the last ``pop`` (in the order the metrics were added), and a fresh start."""
        sums = self.read_sums()
        means = {name: sums[name] / max(self.count, 1) for name in self.sums}
        self.sums, self.count = {}, 0
        return means

    def state_dict(self) -> dict:
        """Plain floats (one read of the device), as checkpoints keep them."""
        return {"sums": self.read_sums(reduced=False), "count": self.count}

    def load_state_dict(self, saved: dict) -> None:
        self.sums, self.count = dict(saved["sums"]), int(saved["count"])


class MetricsLog:
    """Appends records to RUN_DIR/metrics.jsonl, mirrored to TensorBoard when it is installed."""

    def __init__(self, run_dir: Path, tensorboard: bool = True):
        self.run_dir = Path(run_dir)
        self.writer = _tensorboard_writer(self.run_dir) if tensorboard else None

    def write(self, record: dict) -> None:
        """One metrics.jsonl line; its numbers also as TensorBoard scalars at ``record["step"]``."""
        append_metrics(self.run_dir, record)
        if self.writer is not None:
            for name, value in record.items():
                if name not in ("kind", "step") and isinstance(value, (int, float)):
                    self.writer.add_scalar(name, value, record["step"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class SilentLog:
    """A MetricsLog that writes nothing: the log of a distributed run's processes other than 0."""

    def write(self, record: dict) -> None:
        pass

    def close(self) -> None:
        pass


def _tensorboard_writer(run_dir: Path):
    """A TensorBoard SummaryWriter logging into ``run_dir/tensorboard``, or None without tensorboard."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(run_dir / TENSORBOARD_DIR))
