"""``--augment-shift``: every image D and Q see is shifted by its own random whole-pixel offset."""

import pytest
import torch

from infogan import trainer
from infogan.augment import random_shift
from infogan.config import MAX_AUGMENT_SHIFT
from infogan.errors import InfoganError
from infogan.trainer import build_training_state, train_step
from run_folders import assert_same_run, run_cli, tiny_config, train_until_interrupted


def _reference_shift(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``image`` (C, H, W) moved by (dy, dx) with its border pixels repeated, pixel by pixel."""
    _, height, width = image.shape
    rows = (torch.arange(height) - dy).clamp(0, height - 1)
    cols = (torch.arange(width) - dx).clamp(0, width - 1)
    return image[:, rows][:, :, cols]


def test_each_image_is_its_own_offset_of_the_input_with_repeated_borders():
    images = torch.rand(6, 3, 9, 7)
    rng = torch.Generator().manual_seed(4)
    offsets = torch.randint(0, 5, (6, 2), generator=torch.Generator().manual_seed(4))  # the draw it makes
    shifted = random_shift(images, 2, rng)
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    for index in range(6):
        # An offset o into the padded image moves content by 2 - o pixels.
        dy, dx = 2 - int(offsets[index, 0]), 2 - int(offsets[index, 1])
        torch.testing.assert_close(shifted[index], _reference_shift(images[index], dy, dx), rtol=0, atol=0)
    assert len({tuple(row.tolist()) for row in offsets}) > 1  # not one offset for the batch


def test_processes_shift_their_rows_as_one_process_shifts_the_global_batch(monkeypatch):
    from infogan import augment
    from infogan.distributed import World

    images = torch.rand(8, 1, 10, 10)
    whole = random_shift(images, 3, torch.Generator().manual_seed(7))
    shares = []
    for rank in (0, 1):
        monkeypatch.setattr(augment, "current_world", lambda rank=rank: World(rank, 2))
        shares.append(random_shift(images[rank * 4 : rank * 4 + 4], 3, torch.Generator().manual_seed(7)))
    assert torch.equal(torch.cat(shares), whole)


def test_offsets_cover_every_value_up_to_the_maximum_and_no_more():
    # A one-hot pixel in the centre of a 9x9 image lands where the offset sends it.
    image = torch.zeros(2000, 1, 9, 9)
    image[:, :, 4, 4] = 1.0
    shifted = random_shift(image, 3, torch.Generator().manual_seed(0))
    where = shifted.flatten(1).argmax(dim=1)
    moves = torch.stack([where // 9 - 4, where % 9 - 4])  # (2, N) pixels moved down, right
    assert set(moves[0].tolist()) == set(range(-3, 4)) == set(moves[1].tolist())
    assert (shifted.flatten(1).sum(dim=1) == 1).all()  # the pixel is moved, never lost or doubled


def test_zero_shift_is_the_identity_and_draws_nothing():
    images, rng = torch.rand(4, 1, 28, 28), torch.Generator().manual_seed(1)
    before = rng.get_state()
    assert random_shift(images, 0, rng) is images
    assert torch.equal(rng.get_state(), before)


def test_gradients_reach_the_input_once_per_output_pixel():
    images = torch.rand(5, 2, 8, 8, requires_grad=True)
    random_shift(images, 2, torch.Generator().manual_seed(3)).sum().backward()
    assert images.grad.sum().item() == pytest.approx(5 * 2 * 8 * 8)
    assert (images.grad >= 0).all() and images.grad.max() > 1  # border pixels repeated into the gap


def test_train_step_shifts_what_d_sees_only_with_the_option():
    config = tiny_config()
    real = torch.rand(8, 1, 28, 28)
    seen = []
    for shift in (0, 2):
        state = build_training_state(config, torch.device("cpu"), 100)
        handle = state.discriminator.register_forward_pre_hook(lambda _, args: seen.append(args[0].detach()))
        train_step(state, config.latent, real, 1.0, augment_shift=shift)
        handle.remove()
    plain_real, shifted_real = seen[0], seen[3]  # three D passes per step: real, fake, G's fake
    assert torch.equal(plain_real, real)
    assert not torch.equal(shifted_real, real)
    assert torch.allclose(shifted_real.sum(dim=(1, 2, 3)), real.sum(dim=(1, 2, 3)), rtol=0.5)


@pytest.mark.parametrize("reuse_fakes", [False, True])
def test_every_pass_through_d_is_shifted_in_both_updates(monkeypatch, reuse_fakes):
    """D's three passes (real and fake in D's update, fake in G's) each go through the shift,
    and G's fakes reach D shifted: with reuse_fakes D's third input is not G's output."""
    config = tiny_config()
    state = build_training_state(config, torch.device("cpu"), 100)
    shifts, outputs, inputs = [], [], []
    real_shift = trainer.random_shift
    monkeypatch.setattr(trainer, "random_shift", lambda x, n, rng: shifts.append(n) or real_shift(x, n, rng))
    state.generator.register_forward_hook(lambda *args: outputs.append(args[2].detach()))
    state.discriminator.register_forward_pre_hook(lambda _, args: inputs.append(args[0].detach()))
    train_step(state, config.latent, torch.rand(8, 1, 28, 28), 1.0, reuse_fakes=reuse_fakes, augment_shift=2)
    assert shifts == [2, 2, 2]
    assert not torch.equal(inputs[2], outputs[-1])  # G's update: D sees the shifted fakes


@pytest.mark.parametrize("value", [-1, MAX_AUGMENT_SHIFT + 1])
def test_out_of_range_shift_is_one_line(value):
    with pytest.raises(InfoganError, match="augment-shift must be 0 to 8"):
        tiny_config().with_changes(augment_shift=value)


def test_cli_refuses_a_bad_shift_before_writing(tmp_path, capsys):
    status, lines = run_cli(["train", "--augment-shift", "-2", "--out", tmp_path / "run"], capsys)
    assert status == 2 and lines == ["infogan: error: augment-shift must be 0 to 8 pixels, got -2"]
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_a_shifted_run_resumes_bit_identical(tmp_path, monkeypatch):
    """The offsets come from the checkpointed latent stream: interrupted in step 3, resumed from 2."""
    config = tiny_config(steps=3, checkpoint_every=2, augment_shift=2)
    trainer.train(config, tmp_path / "reference", progress=False)
    train_until_interrupted(monkeypatch, config, tmp_path / "run", 3)
    trainer.train(config, tmp_path / "run", resume=True, progress=False)
    assert_same_run(tmp_path / "run", tmp_path / "reference", 3)
