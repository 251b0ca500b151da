"""Ranking runs by the label-free invariance of a categorical code: the API and `infogan select`."""

import json

import pytest
import torch

from infogan import load_run, trainer
from infogan.cli import main
from infogan.data import load_dataset
from infogan.evaluate.selection import categorical_invariance, rank_runs, score_run
from run_folders import run_cli, small_test_data_dir, tiny_config


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("select")
    data_dir = str(small_test_data_dir(folder))  # rank_runs scores on the run's 500 test images
    for seed, steps in ((0, 2), (1, 2), (2, 4)):
        trainer.train(tiny_config(seed=seed, steps=steps, data_dir=data_dir), folder / f"seed{seed}", progress=False)
    return folder


def test_a_q_that_ignores_the_image_is_fully_invariant(two_runs):
    run = load_run(two_runs / "seed0")
    images = load_dataset("mnist", "test").images[:1000]
    trained = categorical_invariance(run, images)["c1"]
    assert 0 <= trained < 1  # a Q after two steps changes its mind on some nudged digits
    last = run.discriminator.q_head[-1]
    with torch.no_grad():
        last.weight.zero_()  # constant logits: one category for every image
    assert categorical_invariance(run, images) == {"c1": 1.0}


def test_rank_runs_sorts_by_invariance_and_matches_evaluate(two_runs):
    ranking = rank_runs([two_runs / "seed0", two_runs / "seed1"])
    assert [row["code"] for row in ranking] == ["c1", "c1"] and {row["step"] for row in ranking} == {2}
    assert ranking[0]["invariance"] >= ranking[1]["invariance"]
    images = load_dataset("mnist", "test", two_runs / "data").images
    assert len(images) == 500
    for row in ranking:
        assert row["invariance"] == categorical_invariance(load_run(row["run"]), images)["c1"]
        assert row["invariance_by_step"] == {2: row["invariance"]}  # one checkpoint, at step 2


def test_score_averages_the_newest_checkpoints(two_runs):
    images = load_dataset("mnist", "test", two_runs / "data").images
    run_dir = two_runs / "seed2"  # checkpoints at steps 2 and 4
    at_2 = categorical_invariance(load_run(run_dir, checkpoint=run_dir / "checkpoints" / "step_00000002.pt"), images)
    at_4 = categorical_invariance(load_run(run_dir), images)
    both = score_run(run_dir)
    assert both["step"] == 4 and both["invariance_by_step"] == {2: at_2["c1"], 4: at_4["c1"]}
    assert both["invariance"] == pytest.approx((at_2["c1"] + at_4["c1"]) / 2)
    assert score_run(run_dir, checkpoints=1)["invariance_by_step"] == {4: at_4["c1"]}


def test_select_cli_json_and_warnings(two_runs, capsys):
    assert main(["select", str(two_runs / "seed0"), str(two_runs / "seed1"), "--json", "--device", "cpu"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["pick"] == result["ranking"][0]["run"] and len(result["ranking"]) == 2
    status, errors = run_cli(["select", two_runs / "seed0", two_runs / "seed2"], capsys)
    assert status == 0 and errors == ["infogan: warning: the runs are at different steps; invariance grows "
                                      "with training, so compare runs at the same step"]
    status, errors = run_cli(["select", two_runs / "seed0", "--code", "c2"], capsys)
    assert status == 2 and len(errors) == 1 and "is not categorical" in errors[0]
