"""``infogan export``: the generator as one .safetensors file that reproduces the run's images."""

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import infogan
from infogan.errors import InfoganError
from infogan.export import export_generator, load_exported, load_generator
from infogan.loaded_run import load_run
from infogan.sampling import codes_batch, generate
from run_folders import run_cli


@pytest.fixture(scope="module")
def exported(tiny_run, tmp_path_factory) -> Path:
    return export_generator(load_run(tiny_run), tmp_path_factory.mktemp("export") / "G.safetensors")


def test_exported_generator_makes_the_runs_images(tiny_run, exported):
    run = load_run(tiny_run)
    generator, spec, architecture = load_generator(exported)
    assert architecture == "mnist" and spec == run.spec and not generator.training
    for fixed in ({}, {"c1": 3}, {"c1": 9, "c2": -2.0, "c3": 1.5}):
        codes = codes_batch(spec, 16, seed=5, fixed=fixed)
        assert torch.equal(generate(generator, spec, codes), generate(run.generator, run.spec, codes))


def test_metadata_holds_spec_architecture_and_config(tiny_run, exported):
    with safe_open(str(exported), framework="pt") as handle:
        metadata = handle.metadata()
    run = load_run(tiny_run)
    assert metadata["format"] == "infogan-generator" and metadata["architecture"] == "mnist"
    assert json.loads(metadata["latent"]) == run.spec.to_dict() and metadata["step"] == "2"
    assert infogan.TrainConfig.from_dict(json.loads(metadata["config"])) == run.config


def test_python_api_samples_like_load_run(tiny_run, exported):
    loaded = infogan.load_exported(exported)
    assert isinstance(loaded, infogan.ExportedGenerator) and loaded.step == 2
    images = loaded.sample(8, seed=1, codes={"c1": 7})
    assert images.shape == (8, 1, 28, 28)
    assert torch.equal(images, load_run(tiny_run).sample(8, seed=1, codes={"c1": 7}))


def test_cli_export_and_sample_from_either_source_give_the_same_png(tiny_run, tmp_path, capsys):
    target = tmp_path / "G.safetensors"
    status, _ = run_cli(["export", tiny_run, "--out", target], capsys)
    assert status == 0 and target.exists()
    for source, png in ((tiny_run, "from-run.png"), (target, "from-export.png")):
        status, _ = run_cli(
            ["sample", source, "--out", tmp_path / png, "--n", "16", "--code", "c1=4", "--seed", "2"], capsys
        )
        assert status == 0
    assert (tmp_path / "from-run.png").read_bytes() == (tmp_path / "from-export.png").read_bytes()


def test_cli_export_of_the_best_checkpoint(tiny_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    status, lines = run_cli(["export", run_dir, "--out", tmp_path / "G.safetensors", "--checkpoint", "best"], capsys)
    assert status == 2 and lines == [f"infogan: error: no checkpoint at {run_dir / 'checkpoints' / 'best.pt'}"]
    shutil.copy(run_dir / "checkpoints" / "step_00000002.pt", run_dir / "checkpoints" / "best.pt")
    status, _ = run_cli(["export", run_dir, "--out", tmp_path / "G.safetensors", "--checkpoint", "best"], capsys)
    assert status == 0 and load_exported(tmp_path / "G.safetensors").step == 2


def bad_exports(folder: Path) -> dict[str, tuple[Path, str]]:
    """Files that are not infogan exports, each with a piece of the error it must give."""
    files = {}
    garbage = folder / "garbage.safetensors"
    garbage.write_bytes(b"\xff" * 64)
    files["garbage"] = (garbage, "is not a readable .safetensors file")
    foreign = folder / "foreign.safetensors"
    save_file({"weight": torch.zeros(2)}, str(foreign))
    files["no infogan metadata"] = (foreign, "is not an infogan generator export")
    files["missing"] = (folder / "missing.safetensors", "no exported generator at")
    return files


@pytest.mark.parametrize("kind", ["garbage", "no infogan metadata", "missing"])
def test_bad_export_files_are_one_line_errors(tmp_path, capsys, kind):
    path, expected = bad_exports(tmp_path)[kind]
    with pytest.raises(InfoganError, match=expected):
        load_exported(path)
    status, lines = run_cli(["sample", path, "--out", tmp_path / "grid.png"], capsys)
    assert status == 2 and len(lines) == 1 and expected in lines[0]


def test_export_refuses_another_suffix(tiny_run, tmp_path, capsys):
    status, lines = run_cli(["export", tiny_run, "--out", tmp_path / "G.pt"], capsys)
    assert status == 2 and lines == [f"infogan: error: export file {tmp_path / 'G.pt'} must end in .safetensors"]
