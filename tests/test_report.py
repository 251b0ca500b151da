"""evaluate_run's new keys, the HTML report, Figure 1 and their CLI commands."""

import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from infogan.cli import main
from infogan.data import load_dataset
from infogan.errors import InfoganError
from infogan.evaluate.attributes import measure_continuous_codes
from infogan.evaluate.clustering import hungarian_mapping, matched_confusion
from infogan.evaluate.invariance import nudged_images
from infogan.evaluate.run_metrics import _compute_reconstruction, evaluate_run
from infogan.figure1 import figure1_summary, info_curve, save_figure1
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.loaded_run import load_run
from infogan.report import save_confusion_png, write_report
from infogan.run_folder import append_metrics, write_config
from infogan.sampling import codes_batch, encode, generate, q_output
from run_folders import tiny_config

# The bundled test set's label counts, digits 0 to 9.
MNIST_TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def evaluation(tiny_run, small_data_dir):
    """The shared tiny run evaluated on 200 prior draws and the first 500 test images."""
    return evaluate_run(load_run(tiny_run), data_dir=str(small_data_dir), samples=200, fid=False, attribute_draws=4)


def test_confusion_rows_follow_the_matching():
    labels = np.repeat(np.arange(3), 4)  # 0 0 0 0 1 1 1 1 2 2 2 2
    predicted = np.array([2, 2, 2, 0, 0, 0, 0, 0, 1, 1, 1, 3])  # category 2 ~ label 0, 0 ~ 1, 1 ~ 2
    confusion, rows = matched_confusion(predicted, labels, 4)
    assert hungarian_mapping(predicted, labels, 4) == {2: 0, 0: 1, 1: 2} and rows == [2, 0, 1, 3]
    assert confusion == [[3, 0, 0], [1, 4, 0], [0, 0, 3], [0, 0, 1]]


def test_matching_covers_categories_q_never_predicts():
    labels = np.arange(10).repeat(3)
    predicted = np.where(labels < 5, labels, 0)  # categories 5..9 never predicted
    mapping = hungarian_mapping(predicted, labels, 10)
    assert sorted(mapping) == list(range(10)) and sorted(mapping.values()) == list(range(10))
    assert all(mapping[k] == k for k in range(1, 5))


def test_reconstruction_oracles():
    spec = LatentSpec(Noise(4), parse_codes("cat:5,unif:2"))
    batch = spec.sample(500, torch.Generator().manual_seed(0))
    logits = torch.nn.functional.one_hot(batch.codes["c1"], 5).float() * 10
    exact = torch.cat([logits, batch.codes["c2"][:, None], torch.zeros(500, 1)], dim=1)
    scores = _compute_reconstruction(spec, exact, batch)
    assert scores["c1"] == 1.0 and scores["c2"] == pytest.approx(1.0) and scores["c3"] < 0
    wrong = torch.cat([logits.roll(1, dims=1), -batch.codes["c2"][:, None], batch.codes["c3"][:, None]], dim=1)
    scores = _compute_reconstruction(spec, wrong, batch)
    assert scores["c1"] == 0.0 and scores["c2"] < -3 and scores["c3"] == pytest.approx(1.0)


def test_evaluate_adds_reconstruction_attributes_and_confusion(tiny_run, small_data_dir, evaluation):
    run, codes = load_run(tiny_run), evaluation["codes"]
    assert {"run", "step", "dataset", "codes"} <= set(evaluation) and "sample_quality" not in evaluation
    assert evaluation["step"] == 2 and evaluation["dataset"] == "mnist"
    c1 = codes["c1"]
    assert {
        "accuracy",
        "nmi",
        "ari",
        "mapping",
        "test_images",
        "real_information_nats",
        "invariance",
        "info_lower_bound_nats",
        "entropy_nats",
    } <= set(c1)
    assert c1["entropy_nats"] == pytest.approx(np.log(10))

    # Reconstruction on the same 200 seeded prior draws: accuracy of argmax Q for c1, R^2 of Q's mean for c2, c3.
    batch = codes_batch(run.spec, 200, seed=0)
    posterior = encode(run.discriminator, run.spec, generate(run.generator, run.spec, batch))
    hits = posterior["c1"].argmax(1) == batch.codes["c1"]
    assert c1["reconstruction"] == pytest.approx(float(hits.double().mean()))
    for name in ("c2", "c3"):
        truth, guess = batch.codes[name].double(), posterior[name][:, 0].double()
        r_squared = 1 - ((truth - guess) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
        # sklearn sums in float32
        assert codes[name]["reconstruction"] == pytest.approx(float(r_squared), abs=1e-5), name
    bounds = run.spec.info_lower_bound(q_output(run.discriminator, generate(run.generator, run.spec, batch)), batch)
    for name, bound in bounds.items():
        assert codes[name]["info_lower_bound_nats"] == pytest.approx(float(bound)), name

    # The real test images: Q's categories, their confusion with the labels, invariance, information.
    test_set = load_dataset("mnist", "test", small_data_dir)
    probabilities = run.encode(test_set.images)["c1"].double()
    predicted, labels = probabilities.argmax(1).numpy(), test_set.labels.numpy()
    confusion = np.array(c1["confusion_matrix"])
    assert c1["test_images"] == 500 and confusion.shape == (10, 10)
    assert sorted(c1["confusion_rows"]) == list(range(10))
    for row, category in zip(confusion, c1["confusion_rows"]):  # row i: the category matched to label i
        assert row.tolist() == np.bincount(labels[predicted == category], minlength=10).tolist()
    assert confusion.sum(axis=0).tolist() == np.bincount(labels, minlength=10).tolist()
    # Rows in matched order: the diagonal holds exactly the matched (correct) items.
    assert np.trace(confusion) / confusion.sum() == pytest.approx(c1["accuracy"])
    shifted = run.encode(nudged_images(test_set.images, run.output_activation, seed=0))["c1"].argmax(1).numpy()
    assert c1["invariance"] == pytest.approx(float(np.mean(shifted == predicted)))
    entropy = lambda p: -(p * np.log(p)).sum(-1)  # noqa: E731  (softmax posteriors: no zeros)
    expected_information = entropy(probabilities.mean(0)) - entropy(probabilities).mean()
    assert c1["real_information_nats"] == pytest.approx(float(expected_information), abs=1e-6)

    # The continuous codes' attributes are measure_continuous_codes' with the same draws and seed.
    attributes = measure_continuous_codes(run, draws=4, seed=0)
    for name in ("c2", "c3"):
        assert {key: codes[name][key] for key in attributes[name]} == attributes[name]
    json.dumps(evaluation, allow_nan=False)  # strict JSON: no NaN anywhere


@pytest.mark.slow
def test_evaluate_scores_every_image_of_the_bundled_test_set(tiny_run):
    c1 = evaluate_run(load_run(tiny_run), samples=50, attributes=False, fid=False)["codes"]["c1"]
    assert c1["test_images"] == 10000
    assert np.array(c1["confusion_matrix"]).sum(axis=0).tolist() == MNIST_TEST_LABEL_COUNTS


def test_evaluate_without_attributes_keeps_the_old_keys(tiny_run, small_data_dir):
    result = evaluate_run(load_run(tiny_run), data_dir=str(small_data_dir), samples=50, attributes=False, fid=False)
    assert "controls" not in result["codes"]["c2"] and "reconstruction" in result["codes"]["c2"]
    with pytest.raises(InfoganError, match="at least 2 samples"):
        evaluate_run(load_run(tiny_run), data_dir=str(small_data_dir), samples=1, fid=False)


def test_report_holds_evaluates_numbers_and_inline_images(tiny_run, evaluation, tmp_path):
    out = write_report(tiny_run, tmp_path / "report.html", evaluation)
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    for name, scores in evaluation["codes"].items():
        for key in ("info_lower_bound_nats", "entropy_nats", "reconstruction"):
            assert f"<td>{scores[key]:.4f}</td>" in text, (name, key)
    c1 = evaluation["codes"]["c1"]
    for key in ("accuracy", "nmi", "ari"):
        assert f"<td>{c1[key]:.4f}</td>" in text
    assert "Confusion matrix of c1" in text and "Training curves" in text and "c2 from -2 to 2" in text
    # images: two curves, three traversal grids, one confusion matrix, all inline: the page
    # fetches nothing (links to follow, such as the local explorer's, are allowed)
    sources = re.findall(r"""\bsrc\s*=\s*["']?([^"'\s>]*)""", text)
    assert len(sources) == 6 and all(source.startswith("data:image/png;base64,") for source in sources)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert "&quot;lr_d&quot;: 0.0002" in text  # the configuration, as escaped JSON


@pytest.mark.slow
def test_report_computes_the_evaluation_when_not_given(tiny_run, small_data_dir, tmp_path):
    out = write_report(
        tiny_run, tmp_path / "r.html", samples=50, fid=False, attributes=False, data_dir=str(small_data_dir)
    )
    assert "Metrics at step 2" in out.read_text()
    with pytest.raises(InfoganError, match=".html"):
        write_report(tiny_run, tmp_path / "r.txt", {"codes": {}})


def test_confusion_png(evaluation, tmp_path):
    path = save_confusion_png(evaluation, tmp_path / "confusion.png")
    assert Image.open(path).format == "PNG" and Image.open(path).size[0] > 300
    with pytest.raises(InfoganError, match=".png"):
        save_confusion_png(evaluation, tmp_path / "confusion.jpg")
    with pytest.raises(InfoganError, match="categorical code"):
        save_confusion_png({"codes": {"c2": {"kind": "uniform"}}}, tmp_path / "c.png")


def synthetic_run(folder, info_values, plain=False):
    """A run folder with only config.json and a metrics.jsonl of train records every 10 steps."""
    folder.mkdir()
    write_config(folder, tiny_config(mode="plain" if plain else "infogan"))
    for index, value in enumerate(info_values):
        append_metrics(
            folder,
            {
                "kind": "train",
                "step": 10 * (index + 1),
                "info/c1": value,
                "info/c2": -0.3,
                "entropy/c1": 2.302585,
                "entropy/c2": 0.693147,
                "loss/d": 1.3,
            },
        )
        append_metrics(folder, {"kind": "eval", "step": 10 * (index + 1), "accuracy/c1": 0.5})
    return folder


def test_info_curve_and_figure1_on_synthetic_metrics(tmp_path):
    infogan_run = synthetic_run(tmp_path / "infogan", [1.0, 2.0, 2.25, 2.28, 2.30])
    plain_run = synthetic_run(tmp_path / "plain", [0.3, 0.55, 0.2, 0.1, 0.05], plain=True)
    code, steps, info, entropy = info_curve(infogan_run, max_step=30)
    assert (code, steps, info) == ("c1", [10, 20, 30], [1.0, 2.0, 2.25]) and entropy == pytest.approx(2.302585)
    out = save_figure1(infogan_run, plain_run, tmp_path / "figure1.png", max_step=40)
    assert Image.open(out).size == (600, 400)
    with pytest.raises(InfoganError, match="info/c9"):
        info_curve(infogan_run, "c9")
    with pytest.raises(InfoganError, match="no training records"):
        info_curve(infogan_run, max_step=5)
    summary = figure1_summary(infogan_run, plain_run, max_step=40)
    assert summary["infogan"]["step_30"] == 2.25 and summary["infogan"]["step_100"] is None
    assert summary["infogan"]["first_step_at_or_above"] == 30
    assert summary["plain"] == {"peak": 0.55, "peak_step": 20, "max_from_step_500": None}


@pytest.mark.slow
def test_cli_figure1_report_and_evaluate(tiny_run, small_data_dir, tmp_path, capsys):
    infogan_run = synthetic_run(tmp_path / "infogan", [1.0, 2.2])
    plain_run = synthetic_run(tmp_path / "plain", [0.5, 0.1], plain=True)
    assert main(["figure1", str(infogan_run), str(plain_run), "--out", str(tmp_path / "f1.png")]) == 0
    assert (tmp_path / "f1.png").is_file()
    assert "first >= 2.25 at step None; plain GAN peak 0.500 at step 10" in capsys.readouterr().out
    assert main(["figure1", str(infogan_run), str(plain_run), "--out", str(tmp_path / "f1.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["infogan"]["step_30"] is None
    assert main(["figure1", str(infogan_run), str(plain_run), "--out", str(tmp_path / "f1.jpg")]) == 2
    assert "must end in .png" in capsys.readouterr().err

    confusion = tmp_path / "confusion.png"
    assert (
        main(
            [
                "evaluate",
                str(tiny_run),
                "--json",
                "--samples",
                "50",
                "--no-fid",
                "--no-attributes",
                "--device",
                "cpu",
                "--data-dir",
                str(small_data_dir),
                "--confusion-png",
                str(confusion),
            ]
        )
        == 0
    )
    saved = tmp_path / "evaluation.json"
    saved.write_text(capsys.readouterr().out)
    assert Image.open(confusion).format == "PNG"
    report = tmp_path / "report.html"
    assert main(["report", str(tiny_run), "--evaluation", str(saved), "--out", str(report)]) == 0
    accuracy = json.loads(saved.read_text())["codes"]["c1"]["accuracy"]
    assert f"<td>{accuracy:.4f}</td>" in report.read_text()
    assert main(["report", str(tiny_run), "--evaluation", str(tmp_path / "missing.json")]) == 2
    assert "cannot read evaluation" in capsys.readouterr().err
