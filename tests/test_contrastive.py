"""InfoGAN-CR's contrastive regulariser: pairs, the CR network, its loss, schedule, training and bad input."""

import json

import pytest
import torch

from infogan.checkpoint import list_checkpoints, load_checkpoint, state_to_checkpoint
from infogan.config import TrainConfig
from infogan.contrastive import ContrastiveHead, contrastive_step
from infogan.contrastive_schedule import parse_schedule
from infogan.data import load_dataset, to_float_images
from infogan.errors import InfoganError
from infogan.latent import LatentSpec, Noise
from infogan.latent_parsing import parse_codes
from infogan.losses import contrastive_loss
from infogan.networks import ARCHITECTURES
from infogan.run_folder import CHECKPOINT_DIR
from infogan.trainer import build_training_state, train_step
from run_folders import run_cli, tiny_config

CR_CONFIG = tiny_config(cr_weight=1.0)


@pytest.fixture(scope="module")
def real_batch():
    return to_float_images(load_dataset("mnist", "test").images[:16])


def test_pairs_share_the_chosen_code_and_the_noise_only(mnist_spec):
    first, second, shared = mnist_spec.sample_pairs(4000, torch.Generator().manual_seed(0))
    names = [code.name for code in mnist_spec.codes]
    assert sorted(shared.unique().tolist()) == [0, 1, 2]
    assert abs((shared == 0).float().mean().item() - 1 / 3) < 0.03  # the shared code is chosen uniformly
    assert torch.equal(first.noise, second.noise)  # one noise per pair, as the authors' code
    assert not (first.noise[1:] == first.noise[:-1]).all(dim=1).any()  # ... drawn afresh for every pair
    for index, name in enumerate(names):
        same = first.codes[name] == second.codes[name]
        assert same[shared == index].all()
        coincide = same[shared != index].float().mean().item()
        if mnist_spec.code(name).is_categorical:  # independent Cat(10) draws agree 1 time in 10
            assert 0.07 < coincide < 0.13
        else:
            assert coincide == 0.0


def test_pairs_need_two_codes():
    with pytest.raises(InfoganError, match="at least 2 codes"):
        LatentSpec(Noise(4), parse_codes("cat:10")).sample_pairs(8)


def _grads(module):
    return [parameter.grad for parameter in module.parameters()]


def test_the_cr_loss_reaches_g_and_the_cr_network_but_not_d():
    state = build_training_state(CR_CONFIG, torch.device("cpu"), 100)
    spec = CR_CONFIG.latent
    first, second, shared = spec.sample_pairs(16, torch.Generator().manual_seed(1))
    pair = state.generator(spec.generator_input(first)), state.generator(spec.generator_input(second))
    loss, parts = contrastive_loss(state.contrastive.head(*pair), shared)
    loss.backward()
    assert all(grad is not None and grad.abs().sum() > 0 for grad in _grads(state.contrastive.head))
    assert all(grad is not None and grad.abs().sum() > 0 for grad in _grads(state.generator))
    assert all(grad is None for grad in _grads(state.discriminator))
    assert parts["loss/cr"] == pytest.approx(loss.item()) and 0 <= parts["cr/accuracy"] <= 1


def test_the_cr_loss_is_the_cross_entropy_of_the_shared_code():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 5.0]])
    loss, parts = contrastive_loss(logits, torch.tensor([0, 1]))
    expected = -(torch.log_softmax(logits, 1)[0, 0] + torch.log_softmax(logits, 1)[1, 1]) / 2
    assert loss.item() == pytest.approx(expected.item()) and parts["cr/accuracy"] == 0.5


def _snapshot(module):
    return {name: value.clone() for name, value in module.state_dict().items()}


@pytest.mark.parametrize("schedule, g_moves", [("constant", True), ("progressive:5", False)])
def test_a_cr_step_moves_the_cr_network_and_g_only_once_alpha_is_on(schedule, g_moves):
    config = tiny_config(cr_weight=2.0, cr_schedule=schedule)
    state = build_training_state(config, torch.device("cpu"), 100)
    head, generator, discriminator = (
        _snapshot(m) for m in (state.contrastive.head, state.generator, state.discriminator)
    )
    metrics = contrastive_step(state, config.latent, 16)
    assert metrics["cr/weight"] == (2.0 if g_moves else 0.0)
    assert any(not torch.equal(head[k], v) for k, v in state.contrastive.head.state_dict().items())
    assert any(not torch.equal(generator[k], v) for k, v in state.generator.state_dict().items()) == g_moves
    assert all(torch.equal(discriminator[k], v) for k, v in state.discriminator.state_dict().items())


def test_schedule_values():
    dsprites = parse_schedule(2.0, "progressive:288000")  # the authors' dSprites schedule
    assert [dsprites.weight_at(step) for step in (0, 287_999, 288_000, 322_559)] == [0.0, 0.0, 2.0, 2.0]
    assert dsprites.rises_at(288_000) and not dsprites.rises_at(0)
    two_rises = parse_schedule(3.0, "progressive:10,20,30")
    assert [two_rises.weight_at(step) for step in (9, 10, 25, 30)] == [0.0, 1.0, 2.0, 3.0]
    assert parse_schedule(0.5, "constant").weight_at(0) == 0.5


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_the_cr_network_fits_every_architecture(name):
    arch = ARCHITECTURES[name]
    head = ContrastiveHead(arch, 5, 0.1)
    images = torch.rand(2, arch.image_channels, arch.image_size, arch.image_size)
    assert head(images, images).shape == (2, 5)
    assert head.body.convs[0].in_channels == 2 * arch.image_channels


@pytest.mark.slow
def test_two_steps_with_cr_train_the_cr_network_and_checkpoint_it(real_batch):
    state = build_training_state(CR_CONFIG, torch.device("cpu"), 100)
    fresh = _snapshot(state.contrastive.head)
    for _ in range(2):
        metrics = train_step(state, CR_CONFIG.latent, real_batch, info_weight=1.0)
    assert {"loss/cr", "cr/accuracy", "cr/weight"} <= set(metrics) and state.step == 2
    saved = state_to_checkpoint(state, CR_CONFIG)["contrastive"]
    assert set(saved) == {"head", "optimizer"} and len(saved["optimizer"]["state"]) > 0
    assert any(not torch.equal(fresh[k], v) for k, v in saved["head"].items() if v.is_floating_point())


def test_cr_off_adds_no_module_and_no_random_draw(tiny_run):
    """The shared tiny run (cr_weight 0): no CR entry, and its latent stream made exactly the two
    draws per step of D's and G's updates."""
    saved = load_checkpoint(tiny_run / CHECKPOINT_DIR / list_checkpoints(tiny_run / CHECKPOINT_DIR)[-1][1].name)
    assert "contrastive" not in saved and build_training_state(tiny_config(), "cpu", 100).contrastive is None
    config, replay = tiny_config(), torch.Generator().manual_seed(tiny_config().seed + 1)
    for _ in range(2 * saved["step"]):
        config.latent.sample(config.batch_size, replay)
    assert torch.equal(replay.get_state(), saved["rng"]["latent"])


def test_cr_settings_round_trip_through_json_and_are_fixed_on_resume():
    config = tiny_config(cr_weight=2.0, cr_schedule="progressive:10,20", lr_cr=1e-3)
    assert TrainConfig.from_dict(json.loads(config.to_json())) == config
    with pytest.raises(InfoganError, match="--cr-schedule cannot change when resuming"):
        config.with_changes(cr_schedule="constant").check_resume(config)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"cr_weight": -1.0}, "cr-weight must be a number >= 0"),
        ({"cr_weight": float("nan")}, "cr-weight must be a number >= 0"),
        ({"cr_weight": 1.0, "cr_schedule": "linear"}, "cr-schedule must be constant, or progressive"),
        ({"cr_weight": 1.0, "cr_schedule": "progressive:"}, "cr-schedule must be constant, or progressive"),
        ({"cr_weight": 1.0, "cr_schedule": "progressive:10,a"}, "cr-schedule steps must be integers"),
        ({"cr_weight": 1.0, "cr_schedule": "progressive:20,10"}, "positive and increasing"),
        ({"cr_weight": 1.0, "cr_schedule": "progressive:0"}, "positive and increasing"),
        ({"cr_schedule": "progressive:10"}, "needs --cr-weight > 0"),
        ({"cr_weight": 1.0, "latent": LatentSpec(Noise(4), parse_codes("cat:10"))}, "at least 2 codes"),
        ({"cr_weight": 1.0, "lr_cr": 0.0}, "lr-cr must be a positive number"),
    ],
)
def test_bad_cr_settings_are_one_line_errors(changes, message):
    with pytest.raises(InfoganError, match=message) as caught:
        TrainConfig(**changes)
    assert "\n" not in str(caught.value)


def test_cli_refuses_a_negative_cr_weight(tmp_path, capsys):
    status, lines = run_cli(["train", "--out", tmp_path / "run", "--cr-weight", "-1", "--no-progress"], capsys)
    assert status == 2 and lines == [
        "infogan: error: cr-weight must be a number >= 0 (0 turns the regulariser off), got -1.0"
    ]
    assert not (tmp_path / "run").exists()
