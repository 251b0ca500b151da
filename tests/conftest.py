"""Shared test fixtures: the MNIST latent spec, one tiny trained run and a small test split; seeded, no network."""

from pathlib import Path

import pytest
import torch

from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.trainer import train
from run_folders import fingerprint, small_test_data_dir, tiny_config

torch.set_num_threads(2)


@pytest.fixture
def mnist_spec() -> LatentSpec:
    return LatentSpec(Noise(62), parse_codes("cat:10,unif:2"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """``tiny_config(steps=2)`` trained: one checkpoint and one metrics line, at step 2, and the
    traversal grids. (Its Q already tells some test digits apart, where the mnist preset's rates
    still give every digit one category.)

    Trained once for the whole session and shared, so read-only: a test that changes a run,
    or tries to and must be refused, works on a copy (``shutil.copytree``). The run's files
    are checked unchanged at the end of the session.
    """
    run_dir = tmp_path_factory.mktemp("tiny-run") / "run"
    train(tiny_config(steps=2), run_dir, progress=False)
    before = fingerprint(run_dir)
    yield run_dir
    assert fingerprint(run_dir) == before, "a test changed the shared tiny run; it must work on a copy"


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory) -> Path:
    """The bundled training files and the first 500 test images and labels (see small_test_data_dir)."""
    return small_test_data_dir(tmp_path_factory.mktemp("small-data"))
