"""The run folder: its layout, its safe creation and replacement, its lock, config and metrics files.

    RUN_DIR/config.json          the resolved TrainConfig
    RUN_DIR/metrics.jsonl        one JSON object per line: {"kind": "train"|"eval"|"rollback", "step", ...}
    RUN_DIR/checkpoints/         step_00000500.pt ... (the newest K) and best.pt
    RUN_DIR/images/              traversal grids written during training
    RUN_DIR/traversal*.png       the final traversal grids
    RUN_DIR/tensorboard/         TensorBoard scalars, when tensorboard is installed
    RUN_DIR/.infogan.lock        the pid of the process training the run, while it trains
    RUN_DIR/data.npz             the images (and labels) when train() was given arrays
    RUN_DIR/evaluation.json      `infogan evaluate --save`'s result (the explorer shows it)
    RUN_DIR/report.html          `infogan report`'s page

Only files that match these names are ever deleted (``remove_run_outputs``); anything else a
user keeps in the folder stays.
"""

from __future__ import annotations

import json
import os
import re
import socket
import warnings
from pathlib import Path

from infogan.config import TrainConfig
from infogan.errors import InfoganError, InfoganWarning
from infogan.files import MAX_NAME_BYTES, check_writable_folder, write_text_atomic

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
IMAGE_DIR = "images"
TENSORBOARD_DIR = "tensorboard"
LOCK_FILE = ".infogan.lock"
REPORT_FILE = "report.html"
EVALUATION_FILE = "evaluation.json"  # `infogan evaluate --save` writes it
ARRAYS_FILE = "data.npz"  # images (and labels) given to train() as arrays
# What infogan writes, folder by folder: the only files --overwrite may remove.
OWN_FILES = {
    ".": re.compile(
        r"^(config\.json|metrics\.jsonl|report\.html|evaluation\.json|traversal(_\w+)?\.png|\.infogan\.lock|\..*\.tmp)$"
    ),
    CHECKPOINT_DIR: re.compile(r"^(step_\d{8}\.pt|best\.pt|\..*\.tmp)$"),
    IMAGE_DIR: re.compile(r"^(step_\d{8}\.png|\..*\.tmp)$"),
    TENSORBOARD_DIR: re.compile(r"^events\.out\.tfevents\..*$"),
}


def holds_run(run_dir: Path) -> bool:
    return (Path(run_dir) / CONFIG_FILE).is_file()


def _is_stub_entry(path: Path) -> bool:
    """What a start killed before its config.json leaves: the lock, temporaries, empty subfolders."""
    if path.is_symlink():
        return False
    if path.is_dir():
        return path.name in OWN_FILES and not any(path.iterdir())
    return path.name in (LOCK_FILE, ARRAYS_FILE) or bool(re.match(r"^\..*\.tmp$", path.name))


def own_files(run_dir: Path) -> list[Path]:
    """Every file in ``run_dir`` that infogan wrote (by name), deepest first."""
    found = []
    for folder, pattern in OWN_FILES.items():
        path = Path(run_dir) / folder
        if path.is_dir() and not path.is_symlink():
            found += [item for item in path.iterdir() if item.is_file() and pattern.match(item.name)]
    return sorted(found, key=lambda item: len(item.parts), reverse=True)


def remove_run_outputs(run_dir: Path) -> None:
    """Delete infogan's own files in ``run_dir`` (not the lock) and its subfolders left empty."""
    for path in own_files(run_dir):
        if path.name != LOCK_FILE:
            path.unlink(missing_ok=True)
    for folder in (CHECKPOINT_DIR, IMAGE_DIR, TENSORBOARD_DIR):
        path = Path(run_dir) / folder
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()


def check_run_dir(run_dir: Path, resume: bool, overwrite: bool) -> None:
    """Refuse, before anything is written, a folder that cannot take this run.

    Resuming needs a run; a new run needs an empty or missing folder, or ``overwrite`` and a
    folder that holds a run. A folder of other files is never taken.
    """
    run_dir = Path(run_dir)
    longest = max((len(part.encode()) for part in run_dir.parts), default=0)
    if longest > MAX_NAME_BYTES:
        raise InfoganError(f"a name in the run folder's path is too long ({longest} bytes; at most {MAX_NAME_BYTES})")
    if run_dir.exists() and not run_dir.is_dir():
        raise InfoganError(f"output path {run_dir} exists and is not a folder")
    if resume:
        if not holds_run(run_dir):
            raise InfoganError(f"cannot resume: {run_dir} holds no run (no {CONFIG_FILE})")
        check_writable_folder(run_dir)
        return
    if holds_run(run_dir) and not overwrite:
        raise InfoganError(f"{run_dir} already holds a run; pass --resume to continue it or --overwrite to replace it")
    if run_dir.is_dir() and not holds_run(run_dir) and not all(_is_stub_entry(item) for item in run_dir.iterdir()):
        raise InfoganError(f"{run_dir} is not empty and holds no infogan run; choose another --out")
    existing = next((parent for parent in (run_dir, *run_dir.parents) if parent.exists()), Path("."))
    if not existing.is_dir():
        raise InfoganError(f"cannot create {run_dir}: {existing} is not a folder")
    check_writable_folder(existing)


def create_run_dir(run_dir: Path) -> None:
    """Make the folder (checked first by ``check_run_dir``) and its parents."""
    try:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InfoganError(f"cannot create output folder {run_dir} ({error.strerror})") from None


class RunLock:
    """One process per run: ``RUN_DIR/.infogan.lock`` holds the holder's host and pid.

    A second process is refused with the holder's pid; a lock whose process is gone (same
    host) is taken over with a warning. Use as a context manager around training.
    """

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self.owner = f"{socket.gethostname()} {os.getpid()}"
        self.held = False

    def _holder(self) -> tuple[str, int] | None:
        try:
            host, pid = self.path.read_text().split()
            return host, int(pid)
        except (OSError, ValueError):
            return None

    def acquire(self) -> RunLock:
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            except OSError as error:
                raise InfoganError(f"cannot lock {self.path.parent} ({error.strerror})") from None
            with os.fdopen(handle, "w") as stream:
                stream.write(self.owner + "\n")
            self.held = True
            return self
        raise InfoganError(f"cannot lock {self.path.parent}: another process took the lock at the same time")

    def _take_over_if_stale(self) -> None:
        holder = self._holder()
        if holder is not None:
            host, pid = holder
            if host != socket.gethostname():
                raise InfoganError(
                    f"{self.path.parent} is being trained on host {host} (pid {pid}); if it is not, delete {self.path}"
                )
            if _process_alive(pid):
                raise InfoganError(f"{self.path.parent} is being trained by process {pid}; wait for it or stop it")
            warnings.warn(
                f"taking over the lock of {self.path.parent} from process {pid}, which has ended",
                InfoganWarning,
                stacklevel=3,
            )
        self.path.unlink(missing_ok=True)

    def release(self) -> None:
        if self.held and self._holder() == (socket.gethostname(), os.getpid()):
            self.path.unlink(missing_ok=True)
        self.held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exception: object) -> None:
        self.release()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def write_config(run_dir: Path, config: TrainConfig) -> None:
    write_text_atomic(Path(run_dir) / CONFIG_FILE, config.to_json() + "\n")


def read_config(run_dir: Path) -> TrainConfig:
    """The run's saved TrainConfig; a missing, unreadable or malformed file is one-line error."""
    run_dir = Path(run_dir)
    path = run_dir / CONFIG_FILE
    if not run_dir.is_dir():
        raise InfoganError(
            f"run folder {run_dir} does not exist" if not run_dir.exists() else f"{run_dir} is not a folder"
        )
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise InfoganError(f"{run_dir} holds no run (no {CONFIG_FILE})") from None
    except OSError as error:
        raise InfoganError(f"cannot read {path} ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InfoganError(f"{path} is not text (binary content)") from None
    except json.JSONDecodeError as error:
        raise InfoganError(f"{path} is not valid JSON ({error.msg} at line {error.lineno})") from None
    try:
        return TrainConfig.from_saved(data)
    except InfoganError as error:
        raise InfoganError(f"{path}: {error}") from None


def append_metrics(run_dir: Path, record: dict) -> None:
    try:
        with open(Path(run_dir) / METRICS_FILE, "a") as stream:
            stream.write(json.dumps(record) + "\n")
    except OSError as error:
        raise InfoganError(f"cannot write {Path(run_dir) / METRICS_FILE} ({error.strerror})") from None


def read_metrics(run_dir: Path, kind: str | None = None) -> list[dict]:
    """Metrics records, optionally only those of one ``kind``.

    A torn last line (a process killed mid-write: no newline after it) is ignored; any other
    line that is not a JSON object is a one-line error naming the line.
    """
    path = Path(run_dir) / METRICS_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise InfoganError(f"cannot read {path} ({error.strerror})") from None
    lines = raw.split(b"\n")
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("step", 0), int):
            if number == len(lines):  # the last line, without its newline: a torn write
                continue
            raise InfoganError(
                f"{path} line {number} is not a metrics record (a JSON object with a step); fix or remove that line"
            )
        if kind is None or record.get("kind") == kind:
            records.append(record)
    return records


def truncate_metrics(run_dir: Path, last_step: int) -> None:
    """Drop metrics written after ``last_step`` (work lost since the checkpoint we resume)."""
    kept = [record for record in read_metrics(run_dir) if record.get("step", 0) <= last_step]
    write_text_atomic(Path(run_dir) / METRICS_FILE, "".join(json.dumps(record) + "\n" for record in kept))
