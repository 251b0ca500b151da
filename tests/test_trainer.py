import copy

import pytest
import torch

from infogan.data import load_dataset, to_float_images
from infogan.run_folder import read_metrics
from infogan.trainer import build_training_state, train, train_step
from run_folders import assert_same_run, tiny_config

CONFIG = tiny_config()


@pytest.fixture(scope="module")
def real_batch():
    return to_float_images(load_dataset("mnist", "test").images[:16])


def _snapshot(module):
    return {name: value.clone() for name, value in module.state_dict().items()}


def test_train_step_changes_every_network(real_batch):
    state = build_training_state(CONFIG, torch.device("cpu"), 100)
    before_g, before_d = _snapshot(state.generator), _snapshot(state.discriminator)
    metrics = train_step(state, CONFIG.latent, real_batch, info_weight=1.0)
    for name in ("loss/d", "loss/g", "info/c1", "info/c2", "d/real", "d/fake"):
        assert name in metrics
    changed = lambda before, module, prefix: any(  # noqa: E731
        not torch.equal(before[k], v) for k, v in module.state_dict().items() if k.startswith(prefix)
    )
    assert changed(before_g, state.generator, "")
    assert changed(before_d, state.discriminator, "body.")
    assert changed(before_d, state.discriminator, "q_head.")
    assert changed(before_d, state.discriminator, "d_head.")
    assert state.step == 1


def test_generation_and_encoding_change_nothing(real_batch):
    from infogan.sampling import encode, generate

    state = build_training_state(CONFIG, torch.device("cpu"), 100)
    before_g, before_d = _snapshot(state.generator), _snapshot(state.discriminator)
    generate(state.generator, CONFIG.latent, CONFIG.latent.sample(8))
    encode(state.discriminator, CONFIG.latent, real_batch)
    assert all(torch.equal(before_g[k], v) for k, v in state.generator.state_dict().items())
    assert all(torch.equal(before_d[k], v) for k, v in state.discriminator.state_dict().items())


@pytest.mark.parametrize("info_weight, q_matters", [(0.0, False), (1.0, True)])
def test_q_head_steers_g_and_the_body_only_in_infogan_mode(real_batch, info_weight, q_matters):
    """Plain GAN: G and D's body do not depend on Q's weights; InfoGAN: they do."""
    state = build_training_state(CONFIG, torch.device("cpu"), 100)
    other = copy.deepcopy(state)
    with torch.no_grad():
        for parameter in other.discriminator.q_head.parameters():
            parameter.add_(0.5 * torch.randn_like(parameter))
    train_step(state, CONFIG.latent, real_batch, info_weight)
    train_step(other, CONFIG.latent, real_batch, info_weight)
    same_g = all(torch.equal(a, b) for a, b in zip(state.generator.parameters(), other.generator.parameters()))
    same_body = all(
        torch.equal(a, b) for a, b in zip(state.discriminator.body.parameters(), other.discriminator.body.parameters())
    )
    assert same_g == (not q_matters)
    assert same_body == (not q_matters)


@pytest.mark.slow
def test_training_is_deterministic_on_cpu(tmp_path):
    config = CONFIG.with_changes(steps=2, log_every=1)
    train(config, tmp_path / "a", progress=False)
    train(config, tmp_path / "b", progress=False)
    assert_same_run(tmp_path / "a", tmp_path / "b", 2)  # every tensor of the checkpoint, every metrics line
    assert [record["step"] for record in read_metrics(tmp_path / "a", "train")] == [1, 2]


@pytest.mark.slow
def test_metrics_are_mirrored_to_tensorboard_when_available(tmp_path, monkeypatch):
    from infogan import training_log

    scalars = []

    class FakeWriter:
        def add_scalar(self, name, value, step):
            scalars.append((name, value, step))

        def close(self):
            scalars.append(("closed", None, None))

    monkeypatch.setattr(training_log, "_tensorboard_writer", lambda run_dir: FakeWriter())
    train(CONFIG.with_changes(steps=2, log_every=1), tmp_path / "tb", progress=False)
    records = read_metrics(tmp_path / "tb", "train")
    assert [record["step"] for record in records] == [1, 2]
    for record in records:  # every number of every metrics line, at its step
        for name, value in record.items():
            if name not in ("kind", "step", "time_s"):
                assert (name, pytest.approx(value), record["step"]) in scalars, name
    assert scalars[-1] == ("closed", None, None)


@pytest.mark.slow
def test_short_mnist_run_makes_c1_far_more_informative_than_a_plain_gan(mnist_spec, tmp_path):
    """40 real MNIST steps: InfoGAN's L_I(c1) climbs past 0.8 nats; the plain GAN's stays near 0."""
    from infogan.config import TrainConfig

    config = TrainConfig(
        latent=mnist_spec,
        steps=40,
        batch_size=64,
        log_every=10,
        image_every=40,
        checkpoint_every=40,
        eval_every=0,
        device="cpu",
    )
    bounds = {}
    for mode in ("infogan", "plain"):
        train(config.with_changes(mode=mode), tmp_path / mode, progress=False)
        bounds[mode] = read_metrics(tmp_path / mode, "train")[-1]["info/c1"]  # mean over steps 31-40
    assert bounds["infogan"] > 0.8, bounds
    assert bounds["plain"] < 0.4, bounds
    assert bounds["infogan"] - bounds["plain"] > 0.6, bounds


def test_lr_q_gives_q_head_its_own_adam_step(real_batch):
    """Adam's first step moves each weight by about its learning rate (g / |g|): lr_q for
    Q's head, lr_d for the body and D's head; unset, Q's head moves by lr_d."""

    def largest_moves(config):
        state = build_training_state(config, torch.device("cpu"), 100)
        before = _snapshot(state.discriminator)
        train_step(state, config.latent, real_batch, info_weight=1.0)
        after = state.discriminator.state_dict()
        moved = lambda prefix: max(  # noqa: E731
            (after[k] - before[k]).abs().max().item()
            for k in before
            if k.startswith(prefix) and "running" not in k and "num_batches" not in k
        )
        return moved("q_head."), moved("body."), len(state.optimizer_d.param_groups)

    q_move, body_move, groups = largest_moves(CONFIG.with_changes(lr_d=1e-3, lr_q=4e-3))
    assert groups == 2
    assert q_move == pytest.approx(4e-3, rel=1e-3)
    assert body_move == pytest.approx(1e-3, rel=1e-3)
    q_move, body_move, groups = largest_moves(CONFIG.with_changes(lr_d=1e-3, lr_q=None))
    assert groups == 1
    assert q_move == pytest.approx(1e-3, rel=1e-3)


class _RepeatingSpec:
    """A latent spec whose every second draw repeats the first: the default step's G update
    then sees the D update's latents, which is what ``reuse_fakes`` claims to compute."""

    def __init__(self, spec):
        self.spec, self.pending = spec, None

    def __getattr__(self, name):
        return getattr(self.spec, name)

    def sample(self, *args):
        if self.pending is None:
            self.pending = self.spec.sample(*args)
            return self.pending
        latents, self.pending = self.pending, None
        return latents


def _generator_forwards(state) -> list[int]:
    calls = []
    state.generator.register_forward_hook(lambda *_: calls.append(1))
    return calls


def test_reuse_fakes_is_the_default_step_with_the_d_steps_latents(real_batch):
    reused = build_training_state(CONFIG, torch.device("cpu"), 100)
    fresh = copy.deepcopy(reused)
    reused_calls, fresh_calls = _generator_forwards(reused), _generator_forwards(fresh)
    reused_metrics = train_step(reused, CONFIG.latent, real_batch, 1.0, reuse_fakes=True)
    fresh_metrics = train_step(fresh, _RepeatingSpec(CONFIG.latent), real_batch, 1.0)
    assert (len(reused_calls), len(fresh_calls)) == (1, 2)  # the G forward it saves
    assert reused_metrics.keys() == fresh_metrics.keys()
    for name, value in reused_metrics.items():
        assert value == pytest.approx(fresh_metrics[name], rel=1e-5, abs=1e-6), name
    for ours, theirs in zip(reused.generator.parameters(), fresh.generator.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(reused.discriminator.parameters(), fresh.discriminator.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_reuse_fakes_must_be_a_bool_and_reaches_every_step(tmp_path, monkeypatch):
    from infogan import trainer
    from infogan.errors import InfoganError

    with pytest.raises(InfoganError, match="reuse-fakes"):
        CONFIG.with_changes(reuse_fakes="yes")
    real_step, passed = trainer.train_step, []

    def recording_step(state, spec, images, info_weight, reuse_fakes=False, augment_shift=0):
        passed.append(reuse_fakes)
        return real_step(state, spec, images, info_weight, reuse_fakes, augment_shift)

    monkeypatch.setattr(trainer, "train_step", recording_step)
    train(CONFIG.with_changes(steps=1, reuse_fakes=True), tmp_path / "reused", progress=False)
    assert passed == [True]


@pytest.mark.slow
def test_reuse_fakes_from_the_config_changes_the_g_update_only(tmp_path):
    config = CONFIG.with_changes(steps=1, log_every=1, reuse_fakes=True)
    train(config, tmp_path / "reused", progress=False)
    train(config.with_changes(reuse_fakes=False), tmp_path / "fresh", progress=False)
    reused, fresh = read_metrics(tmp_path / "reused"), read_metrics(tmp_path / "fresh")
    # Step 1's D update is the same either way; its G update sees other latents.
    assert reused[0]["loss/d"] == fresh[0]["loss/d"] and reused[0]["loss/g"] != fresh[0]["loss/g"]
