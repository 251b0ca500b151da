"""Ranking runs by the label-free invariance of a categorical code: the API and `infogan select`."""

import json
import shutil

import pytest
import torch

from infogan import load_run
from infogan.cli import main
from infogan.data import load_dataset
from infogan.evaluate.invariance import nudged_images
from infogan.evaluate.selection import categorical_invariance, rank_runs, score_run
from infogan.trainer import train
from run_folders import run_cli, tiny_config

pytestmark = pytest.mark.slow  # each test trains or scores several tiny runs


@pytest.fixture(scope="module")
def runs(tiny_run, tmp_path_factory) -> dict:
    """Runs of one configuration: seeds 0 (the shared tiny run) and 1 at step 2, one checkpoint
    each; and seed 0 continued to step 4, checkpoints at steps 2 and 4."""
    folder = tmp_path_factory.mktemp("select")
    train(tiny_config(steps=2, seed=1), folder / "seed1", progress=False)
    shutil.copytree(tiny_run, folder / "longer")
    train(tiny_config(steps=4), folder / "longer", resume=True, progress=False)
    return {"seed0": tiny_run, "seed1": folder / "seed1", "longer": folder / "longer"}


def test_a_q_that_ignores_the_image_is_fully_invariant(runs, small_data_dir):
    run = load_run(runs["seed0"])
    images = load_dataset("mnist", "test", small_data_dir).images
    trained = categorical_invariance(run, images)["c1"]
    # By hand: the share of images whose category survives the nudge (seed 0); a Q after two
    # steps changes its mind on some nudged digits.
    predicted = run.predict(images)
    kept = run.predict(nudged_images(images, "sigmoid", seed=0)) == predicted
    assert trained == pytest.approx(float(kept.double().mean()))
    assert trained < 1
    last = run.discriminator.q_head[-1]
    with torch.no_grad():
        last.weight.zero_()  # constant logits: one category for every image
    assert categorical_invariance(run, images) == {"c1": 1.0}


@pytest.fixture(scope="module")
def ranking(runs, small_data_dir) -> list[dict]:
    """rank_runs of the two step-2 runs, on the 500 test images of small_data_dir."""
    return rank_runs([runs["seed0"], runs["seed1"]], data_dir=str(small_data_dir))


def test_rank_runs_sorts_by_invariance_and_matches_evaluate(runs, ranking, small_data_dir):
    assert [row["code"] for row in ranking] == ["c1", "c1"] and {row["step"] for row in ranking} == {2}
    assert {row["run"] for row in ranking} == {str(runs["seed0"]), str(runs["seed1"])}
    assert ranking[0]["invariance"] >= ranking[1]["invariance"]
    images = load_dataset("mnist", "test", small_data_dir).images
    assert len(images) == 500
    for row in ranking:
        assert row["invariance"] == categorical_invariance(load_run(row["run"]), images)["c1"]
        assert row["invariance_by_step"] == {2: row["invariance"]}  # one checkpoint, at step 2


def test_score_averages_the_newest_checkpoints(runs, small_data_dir):
    images = load_dataset("mnist", "test", small_data_dir).images
    run_dir = runs["longer"]  # checkpoints at steps 2 and 4
    at_2 = categorical_invariance(load_run(run_dir, checkpoint=run_dir / "checkpoints" / "step_00000002.pt"), images)
    at_4 = categorical_invariance(load_run(run_dir), images)
    both = score_run(run_dir, data_dir=str(small_data_dir))
    assert both["step"] == 4 and both["invariance_by_step"] == {2: at_2["c1"], 4: at_4["c1"]}
    assert both["invariance"] == pytest.approx((at_2["c1"] + at_4["c1"]) / 2)
    assert score_run(run_dir, data_dir=str(small_data_dir), checkpoints=1)["invariance_by_step"] == {4: at_4["c1"]}


def test_select_cli_json_and_warnings(runs, ranking, small_data_dir, capsys):
    small = ["--data-dir", str(small_data_dir)]
    assert main(["select", str(runs["seed0"]), str(runs["seed1"]), "--json", "--device", "cpu", *small]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ranking"] == json.loads(json.dumps(ranking))  # the API's ranking, as JSON
    assert result["pick"] == result["ranking"][0]["run"]
    status, errors = run_cli(["select", runs["seed0"], runs["longer"], *small], capsys)
    assert status == 0 and errors == [
        "infogan: warning: the runs are at different steps; invariance grows "
        "with training, so compare runs at the same step"
    ]
    status, errors = run_cli(["select", runs["seed0"], "--code", "c2"], capsys)
    assert status == 2 and len(errors) == 1 and "is not categorical" in errors[0]
