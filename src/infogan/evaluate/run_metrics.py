"""``evaluate_run``: what a trained run's codes capture, as one JSON-ready dict."""

from __future__ import annotations

import torch

from infogan.data import load_dataset, to_float_images
from infogan.evaluate.clustering import clustering_scores, hungarian_mapping
from infogan.networks import get_architecture
from infogan.run import LoadedRun
from infogan.sampling import generate


@torch.no_grad()
def information_on_samples(run: LoadedRun, samples: int = 10000, seed: int = 0) -> dict[str, float]:
    """L_I per code in nats on ``samples`` fresh prior draws: mean log Q(c|G(z, c)) + H(c)."""
    spec = run.spec
    batch = spec.sample(samples, torch.Generator().manual_seed(seed))
    images = generate(run.generator, spec, batch)
    run.discriminator.eval()
    q_output = torch.cat([run.discriminator(part)[1] for part in images.split(1000)]).cpu()
    return {name: float(value) for name, value in spec.info_lower_bound(q_output, batch).items()}


def evaluate_run(run: LoadedRun, data_dir: str | None = None, samples: int = 10000, seed: int = 0) -> dict:
    """Per code: H(c) and L_I in nats; per categorical code, clustering scores on the test set.

    Returns ``{"run", "step", "dataset", "codes": {name: {...}}}``; categorical codes carry
    ``accuracy``, ``nmi``, ``ari`` and ``mapping`` (category -> label, Hungarian).
    """
    spec = run.spec
    bounds = information_on_samples(run, samples, seed)
    codes: dict[str, dict] = {}
    for code in spec.codes:
        codes[code.name] = {
            "kind": code.kind,
            "entropy_nats": code.entropy_nats(),
            "info_lower_bound_nats": bounds[code.name],
        }
    if spec.categorical:
        test_set = load_dataset(run.config.dataset, "test", data_dir or run.config.data_dir)
        activation = get_architecture(run.config.architecture).output_activation
        posteriors = run.encode(to_float_images(test_set.images, activation))
        labels = test_set.labels.numpy()
        for code in spec.categorical:
            predicted = posteriors[code.name].argmax(dim=1).cpu().numpy()
            codes[code.name].update(clustering_scores(predicted, labels))
            codes[code.name]["mapping"] = {str(k): v for k, v in hungarian_mapping(predicted, labels).items()}
            codes[code.name]["test_images"] = int(len(labels))
    return {"run": str(run.run_dir), "step": run.step, "dataset": run.config.dataset, "codes": codes}
