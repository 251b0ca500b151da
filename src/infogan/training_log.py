"""What a training run logs: running means between log lines, metrics.jsonl and TensorBoard."""

from __future__ import annotations

from pathlib import Path

from infogan.run_folder import TENSORBOARD_DIR, append_metrics


class IntervalMeans:
    """Running means of the step metrics between two log lines (checkpointed with the run)."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.count += 1

    def pop(self) -> dict[str, float]:
        """The means since the last ``pop``, and a fresh start."""
        means = {name: total / max(self.count, 1) for name, total in self.sums.items()}
        self.sums, self.count = {}, 0
        return means


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


def _tensorboard_writer(run_dir: Path):
    """A TensorBoard SummaryWriter logging into ``run_dir/tensorboard``, or None without tensorboard."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(run_dir / TENSORBOARD_DIR))
