"""infogan: train InfoGAN (Chen et al., 2016), measure what its codes learned, use Q as an encoder.

The Python API in one screen (each CLI command has its function here)::

    from infogan import get_preset, train, load_run, evaluate_run
    config = get_preset("mnist").with_changes(steps=2000, seed=1)
    train(config, "runs/mnist-seed1")                             # infogan train
    run = load_run("runs/mnist-seed1")
    images = run.sample(16, seed=0, codes={"c1": 7, "c2": 1.5})   # infogan sample; (16, 1, 28, 28) in [0, 1]
    posterior = run.encode(real_images)                           # {"c1": (N, 10) probs, ...}
    run.traverse("grid.png")                                      # infogan traverse
    evaluate_run(run)                                             # infogan evaluate
    write_report("runs/mnist-seed1")                              # infogan report
    rank_runs(["runs/mnist-seed1", "runs/mnist-seed2"])           # infogan select
    model_centrality(["runs/a", "runs/b", "runs/c"])              # infogan select --by centrality
    export_generator(run, "G.safetensors")                        # infogan export
    save_figure1("runs/a", "runs/plain", "figure1.png")           # infogan figure1
    run_benchmark(get_preset("mnist"))                            # infogan bench
"""

from infogan.bench import run_benchmark
from infogan.config import TrainConfig
from infogan.errors import InfoganError
from infogan.evaluate.centrality import CentralitySizes, model_centrality
from infogan.evaluate.run_metrics import evaluate_run
from infogan.evaluate.selection import rank_runs
from infogan.export import ExportedGenerator, export_generator, load_exported, load_generator
from infogan.figure1 import figure1_summary, save_figure1
from infogan.latent import Code, LatentBatch, LatentSpec, Noise
from infogan.latent_parsing import parse_code_values, parse_codes, parse_noise
from infogan.loaded_run import LoadedRun, load_run
from infogan.presets import get_preset
from infogan.report import write_report
from infogan.sampling import codes_batch, encode, generate
from infogan.trainer import steps_for_epochs, train

__version__ = "0.1.0"
__all__ = [
    "CentralitySizes",
    "Code",
    "ExportedGenerator",
    "InfoganError",
    "LatentBatch",
    "LatentSpec",
    "LoadedRun",
    "Noise",
    "TrainConfig",
    "codes_batch",
    "encode",
    "evaluate_run",
    "export_generator",
    "figure1_summary",
    "generate",
    "get_preset",
    "load_exported",
    "load_generator",
    "load_run",
    "model_centrality",
    "parse_code_values",
    "parse_codes",
    "parse_noise",
    "rank_runs",
    "run_benchmark",
    "save_figure1",
    "steps_for_epochs",
    "train",
    "write_report",
]
