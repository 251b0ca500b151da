"""What each code captured of known factors: a code x factor matrix, the code that controls each factor, MIG.

For a data set whose images carry factor values (a rendered set, dSprites, or any labelled
attributes such as CelebA's), Q encodes the test images into one value per code (the most
probable category of a categorical code, the posterior mean of a continuous one), and each
(code, factor) cell gets one score in [0, 1]:

=====================  ===================================  ============================================
code                   factor                               score
=====================  ===================================  ============================================
categorical            categorical                          NMI (arithmetic normalisation, sklearn)
categorical            ordinal or circular                  NMI with the factor cut into its grid bins
continuous             categorical                          NMI with the code cut into 20 equal-count bins
continuous             ordinal                              \\|Spearman rho\\|
continuous             circular                             circular-linear correlation (Mardia, 1976)
=====================  ===================================  ============================================

The circular-linear correlation R of a code x with an angle t is the multiple correlation
of x with (cos t, sin t): R^2 = (r_xc^2 + r_xs^2 - 2 r_xc r_xs r_cs) / (1 - r_cs^2), with r
Pearson's correlation (K. V. Mardia, "Linear-circular correlation coefficients and rhythmometry",
Biometrika 63, 1976). It is 1 when x = a cos(t - t0) + b exactly and invariant to where the
angle starts, which a code that follows a full turn needs (no linear code can follow an angle
monotonically around the circle). A factor is "controlled" by the code of the highest score;
MIG (``infogan.evaluate.disentanglement.compute_mig``) is computed on the same points with
the factors on their grids.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.metrics import normalized_mutual_info_score

from infogan.data.convert import conform
from infogan.data.rendered import Factor
from infogan.errors import InfoganError
from infogan.evaluate.disentanglement import compute_mig
from infogan.latent import LatentSpec
from infogan.networks import architecture_of

CODE_BINS = 20  # equal-count bins of a continuous code scored against a categorical factor


def representation(run: Any, images: torch.Tensor | np.ndarray) -> np.ndarray:
    """One column per code (N, num_codes) for uint8 images (N, C, H, W): argmax category or posterior mean.

    Images in another format than the run's architecture are brought to it first, as at
    training time. ``run`` is a ``LoadedRun``.
    """
    images = images if isinstance(images, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(images))
    arch = architecture_of(run.config)
    if tuple(images.shape[1:]) != (arch.image_channels, arch.image_size, arch.image_size):
        images = conform(images, arch.image_channels, arch.image_size)
    posterior = run.encode(images)
    columns = [
        posterior[code.name].argmax(dim=1).double() if code.is_categorical else posterior[code.name][:, 0].double()
        for code in run.spec.codes
    ]
    return torch.stack(columns, dim=1).cpu().numpy()


def _equal_count_bins(values: np.ndarray, bins: int) -> np.ndarray:
    """Bin indices (N,) of values (N,) in ``bins`` bins of (about) equal counts, ties kept together."""
    edges = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    return np.searchsorted(edges, values, side="right")


def _circular_linear_correlation(code: np.ndarray, angle: np.ndarray) -> float:
    """Mardia's circular-linear correlation in [0, 1] of code values (N,) with angles (N,) in radians."""
    cos, sin = np.cos(angle), np.sin(angle)
    if code.std() == 0 or cos.std() == 0 or sin.std() == 0:
        return 0.0
    r_xc, r_xs, r_cs = np.corrcoef(code, cos)[0, 1], np.corrcoef(code, sin)[0, 1], np.corrcoef(cos, sin)[0, 1]
    squared = (r_xc**2 + r_xs**2 - 2 * r_xc * r_xs * r_cs) / max(1 - r_cs**2, 1e-12)
    return float(np.sqrt(np.clip(squared, 0.0, 1.0)))


def _radians(factor: Factor, values: np.ndarray) -> np.ndarray:
    """A circular factor's values as angles in radians (its range is one full turn)."""
    return (values - factor.low) / (factor.high - factor.low) * 2 * np.pi


def _compute_cell(code_values: np.ndarray, categorical_code: bool, factor: Factor, factor_values: np.ndarray) -> float:
    """The score in [0, 1] of one code (N,) against one factor (N,), by the module's table."""
    if categorical_code or factor.kind == "categorical":
        code_labels = code_values if categorical_code else _equal_count_bins(code_values, CODE_BINS)
        factor_labels = factor.index_of(factor_values) if factor.kind != "categorical" else factor_values
        return float(normalized_mutual_info_score(factor_labels, code_labels))
    if factor.kind == "circular":
        return _circular_linear_correlation(code_values, _radians(factor, factor_values))
    if code_values.std() == 0 or factor_values.std() == 0:
        return 0.0
    return float(abs(spearmanr(code_values, factor_values).statistic))


def _compute_factor_matrix(
    spec: LatentSpec, codes: np.ndarray, factors: tuple[Factor, ...], values: np.ndarray
) -> np.ndarray:
    """Scores (num_codes, num_factors) of codes (N, num_codes) against factor values (N, num_factors)."""
    matrix = np.zeros((len(spec.codes), len(factors)))
    for i, code in enumerate(spec.codes):
        for j, factor in enumerate(factors):
            matrix[i, j] = _compute_cell(codes[:, i], code.is_categorical, factor, values[:, j])
    return matrix


def factor_scores(spec: LatentSpec, codes: np.ndarray, factors: tuple[Factor, ...], values: np.ndarray) -> dict:
    """The code x factor matrix, the controlling code of each factor, and MIG, as JSON-ready data.

    codes: (N, num_codes) from ``representation``; values: (N, num_factors) in ``factors`` order.
    Returns ``{"matrix": {code: {factor: score}}, "controls": {factor: {"code", "score"}},
    "mig", "mig_per_factor": {factor: gap}, "points"}``.
    """
    codes, values = np.asarray(codes, np.float64), np.asarray(values, np.float64)
    if codes.shape != (len(values), len(spec.codes)) or values.shape[1:] != (len(factors),):
        raise InfoganError(f"codes {codes.shape} and factor values {values.shape} do not fit the spec and factors")
    matrix = _compute_factor_matrix(spec, codes, factors, values)
    names = [code.name for code in spec.codes]
    result: dict = {
        "matrix": {name: {f.name: float(matrix[i, j]) for j, f in enumerate(factors)} for i, name in enumerate(names)},
        "controls": {
            f.name: {"code": names[int(matrix[:, j].argmax())], "score": float(matrix[:, j].max())}
            for j, f in enumerate(factors)
        },
        "points": len(values),
    }
    grid_indices = np.stack([f.index_of(values[:, j]) for j, f in enumerate(factors)], axis=1)
    varying = [j for j in range(len(factors)) if len(np.unique(grid_indices[:, j])) > 1]
    if len(spec.codes) >= 2 and varying:
        mig = compute_mig(codes, grid_indices[:, varying])
        result["mig"] = mig["mig"]
        result["mig_per_factor"] = {factors[j].name: gap for j, gap in zip(varying, mig["mig_per_factor"])}
    return result


def attribute_factors(names: tuple[str, ...]) -> tuple[Factor, ...]:
    """Binary attributes (e.g. CelebA's 40) as categorical factors of two classes."""
    return tuple(Factor(name, "categorical", 2, names=("no", "yes")) for name in names)
