"""``evaluate_run``: what a trained run's codes capture, as one JSON-ready dict."""

from __future__ import annotations

from dataclasses import asdict

import torch
from sklearn.metrics import r2_score

from infogan.data import ImageSet
from infogan.data.rendered import ground_truth_of
from infogan.errors import InfoganError
from infogan.evaluate.attributes import measure_continuous_codes
from infogan.evaluate.categorical import categorical_scores
from infogan.evaluate.disentanglement_sampled import METRIC_SIZES, MetricSizes, compute_all
from infogan.evaluate.factors import attribute_factors, factor_scores, representation
from infogan.evaluate.fid import c1_faithfulness, digit_fid, load_or_train_classifier
from infogan.latent import LatentBatch, LatentSpec
from infogan.loaded_run import MAX_SAMPLES, LoadedRun
from infogan.run_data import load_split
from infogan.sampling import codes_batch, generate, q_output


def _q_on_samples(run: LoadedRun, samples: int, seed: int) -> tuple[LatentBatch, torch.Tensor]:
    """``samples`` prior draws and Q's raw output (samples, q_output_size) on G's images, CPU."""
    batch = codes_batch(run.spec, samples, seed, device=run.device)
    images = generate(run.generator, run.spec, batch)
    batch.codes = {name: values.cpu() for name, values in batch.codes.items()}
    return batch, q_output(run.discriminator, images)


def information_on_samples(run: LoadedRun, samples: int = 10000, seed: int = 0) -> dict[str, float]:
    """L_I per code in nats on ``samples`` fresh prior draws: mean log Q(c|G(z, c)) + H(c)."""
    batch, q_output = _q_on_samples(run, samples, seed)
    return {name: float(value) for name, value in run.spec.info_lower_bound(q_output, batch).items()}


def _compute_reconstruction(spec: LatentSpec, q_output: torch.Tensor, batch: LatentBatch) -> dict[str, float]:
    """Per code, how well Q recovers the code G was given.

    Categorical: accuracy, the fraction with argmax Q(c|G(z, c)) == c. Continuous: R^2 of
    Q's posterior mean against the true value (1 = exact, 0 = no better than the mean).
    """
    posterior = spec.posterior(q_output)
    scores = {}
    for code in spec.codes:
        true_values = batch.codes[code.name].cpu()
        if code.is_categorical:
            scores[code.name] = float((posterior[code.name].argmax(dim=1) == true_values).float().mean())
        else:
            scores[code.name] = float(r2_score(true_values.numpy(), posterior[code.name][:, 0].numpy()))
    return scores


def reconstruction_on_samples(run: LoadedRun, samples: int = 10000, seed: int = 0) -> dict[str, float]:
    """Per code on fresh prior draws: accuracy (categorical) or R^2 (continuous) of Q's guess."""
    batch, q_output = _q_on_samples(run, samples, seed)
    return _compute_reconstruction(run.spec, q_output, batch)


def _categorical_scores(run: LoadedRun, test_set: ImageSet) -> tuple[dict[str, dict], dict[str, dict[int, int]]]:
    """Per categorical code on the labelled test set: clustering scores, mapping, confusion;
    and the complete category -> label matching of each code."""
    scores = categorical_scores(
        run.discriminator, run.spec, test_set.images, test_set.labels, run.output_activation, detail=True
    )
    matchings = {name: code_scores.pop("matching") for name, code_scores in scores.items() if "matching" in code_scores}
    if test_set.labels is None:
        for code_scores in scores.values():
            code_scores["labels"] = "accuracy, NMI and ARI need labels; this data set has none"
    return scores, matchings


def _known_factors(run: LoadedRun, test_set: ImageSet) -> dict | None:
    """``factor_scores`` of Q's codes on the test images' known factors (or binary attributes); None without."""
    if test_set.factors is not None:
        factors, values = test_set.factor_spec, test_set.factors
    elif test_set.attributes is not None:
        factors, values = attribute_factors(test_set.attribute_names), test_set.attributes
    else:
        return None
    scores = factor_scores(run.spec, representation(run, test_set.images), factors, values)
    return {"source": f"the {len(test_set)} test images", **scores}


def _disentanglement(run: LoadedRun, sizes: str | MetricSizes, seed: int) -> dict | None:
    """The five disentanglement metrics with Q as the encoder, where the data set has a ground-truth sampler."""
    ground_truth = ground_truth_of(run.config.dataset)
    if ground_truth is None:
        return None
    chosen = METRIC_SIZES[sizes] if isinstance(sizes, str) else sizes
    scores = compute_all(ground_truth, lambda images: representation(run, images), seed, chosen)
    return {**scores, "sizes": sizes if isinstance(sizes, str) else asdict(sizes)}


def _sample_quality(
    run: LoadedRun, matching: dict[int, int] | None, data_dir: str | None, samples: int, seed: int
) -> dict:
    """Digit FID, the classifier's accuracy on generated digits of c1, its own test accuracy."""
    classifier = load_or_train_classifier(data_dir=data_dir)
    faithfulness = None
    if matching is not None:
        faithfulness = c1_faithfulness(run, classifier, matching, seed=seed, data_dir=data_dir)
    return {
        "digit_fid": digit_fid(run, classifier, samples, seed, data_dir),
        "classifier_accuracy_on_generated": faithfulness,
        "classifier_test_accuracy": classifier.test_accuracy,
        "fid_features": "small MNIST CNN, 128-d penultimate layer (not Inception)",
    }


def evaluate_run(
    run: LoadedRun,
    data_dir: str | None = None,
    samples: int = 10000,
    seed: int = 0,
    attributes: bool = True,
    fid: bool = True,
    attribute_draws: int = 200,
    disentanglement: str | MetricSizes | None = "small",
) -> dict:
    """Per code: H(c), L_I and reconstruction; categorical: test-set clustering; continuous: attributes.

    Returns ``{"run", "step", "dataset", "codes": {name: {...}}}`` and, with ``fid``,
    ``"sample_quality"``. Every code carries ``kind``, ``entropy_nats``,
    ``info_lower_bound_nats`` and ``reconstruction`` (accuracy of argmax Q for categorical
    codes, R^2 of Q's mean for continuous ones, on ``samples`` fresh draws). Categorical
    codes add ``accuracy``, ``nmi``, ``ari``, ``mapping`` (category -> label, Hungarian),
    ``test_images``, ``real_information_nats`` (Q's label-free mutual information with the
    real test images, see ``posterior_information``), ``invariance`` (label-free: the
    fraction of test images whose category survives a shift by one or two whole pixels, see
    ``infogan.evaluate.invariance``), ``confusion_matrix`` (categories x labels counts, rows in
    ``confusion_rows`` order: row i is the category matched to label i). With
    ``attributes``, continuous codes add ``slant_rho``, ``width_rho``, ``controls``,
    ``slant_change_degrees`` and ``width_change_px`` (see ``measure_continuous_codes``).
    ``sample_quality`` holds ``digit_fid`` (a small MNIST classifier's features, not
    Inception), ``classifier_accuracy_on_generated`` (c1 faithfulness) and
    ``classifier_test_accuracy``; it is computed for MNIST runs only. Without labels in the
    test split, categorical codes carry ``labels`` (a one-line note) instead of the label scores.

    Data with known factors (``infogan.data.rendered``) or binary attributes (CelebA) adds
    ``factors`` (``infogan.evaluate.factors.factor_scores`` on the test images: the code x
    factor matrix, the code that controls each factor, MIG), each code its best-matched
    ``factor`` and ``factor_score``, and slant/width are not measured. A data set with a
    ground-truth sampler adds ``disentanglement``: MIG, DCI, SAP, FactorVAE and BetaVAE
    scores (``compute_all``) at ``disentanglement`` sizes ("small" or "reference", see
    ``METRIC_SIZES``, or a ``MetricSizes``; None skips them).
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or not 2 <= samples <= MAX_SAMPLES:
        raise InfoganError(f"need at least 2 samples and at most {MAX_SAMPLES}, got {samples!r}")
    if isinstance(disentanglement, str) and disentanglement not in METRIC_SIZES:
        raise InfoganError(f"disentanglement sizes must be one of {', '.join(METRIC_SIZES)}, got {disentanglement!r}")
    spec = run.spec
    batch, q_output = _q_on_samples(run, samples, seed)
    bounds = spec.info_lower_bound(q_output, batch)
    reconstruction = _compute_reconstruction(spec, q_output, batch)
    codes: dict[str, dict] = {}
    for code in spec.codes:
        codes[code.name] = {
            "kind": code.kind,
            "entropy_nats": code.entropy_nats(),
            "info_lower_bound_nats": float(bounds[code.name]),
            "reconstruction": reconstruction[code.name],
        }
    matchings: dict[str, dict[int, int]] = {}
    test_set = load_split(run.config, "test", data_dir)
    if spec.categorical:
        scores_by_code, matchings = _categorical_scores(run, test_set)
        for name, scores in scores_by_code.items():
            codes[name].update(scores)
    known_factors = _known_factors(run, test_set)
    if attributes and spec.continuous and known_factors is None:
        for name, scores in measure_continuous_codes(run, draws=attribute_draws, seed=seed).items():
            codes[name].update(scores)
    result = {"run": str(run.run_dir), "step": run.step, "dataset": run.config.dataset, "codes": codes}
    if known_factors is not None:
        result["factors"] = known_factors
        for name, row in known_factors["matrix"].items():
            best = max(row, key=row.get)
            codes[name].update({"factor": best, "factor_score": row[best]})
    sampled = _disentanglement(run, disentanglement, seed) if disentanglement else None
    if sampled is not None:
        result["disentanglement"] = sampled
    if fid and run.config.dataset == "mnist":
        first = spec.categorical[0].name if spec.categorical else None
        result["sample_quality"] = _sample_quality(run, matchings.get(first), data_dir, samples, seed)
    return result
