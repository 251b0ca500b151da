"""infogan: train InfoGAN (Chen et al., 2016), measure what its codes learned, use Q as an encoder.

The Python API in one screen::

    from infogan import TrainConfig, get_preset, train, load_run
    config = get_preset("mnist").with_changes(steps=2000, seed=1)
    train(config, "runs/mnist-seed1")
    run = load_run("runs/mnist-seed1")
    images = run.sample(16, seed=0, codes={"c1": 7, "c2": 1.5})   # (16, 1, 28, 28) in [0, 1]
    posterior = run.encode(real_images)                           # {"c1": (N, 10) probs, ...}
    export_generator(run, "G.safetensors"); load_exported("G.safetensors").sample(16)  # no run needed
"""

from infogan.config import TrainConfig
from infogan.errors import InfoganError
from infogan.evaluate.run_metrics import evaluate_run
from infogan.export import ExportedGenerator, export_generator, load_exported, load_generator
from infogan.latent import Code, LatentBatch, LatentSpec, Noise, parse_codes, parse_noise
from infogan.presets import get_preset
from infogan.run import LoadedRun, load_run
from infogan.sampling import codes_batch, encode, generate
from infogan.trainer import train

__version__ = "0.1.0"
__all__ = [
    "Code", "ExportedGenerator", "InfoganError", "LatentBatch", "LatentSpec", "LoadedRun", "Noise", "TrainConfig",
    "codes_batch", "encode", "evaluate_run", "export_generator", "generate", "get_preset", "load_exported", "load_generator", "load_run", "parse_codes",
    "parse_noise", "train",
]
