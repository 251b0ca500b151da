import copy

import pytest
import torch
from infogan.run_folder import read_metrics

from infogan.data import load_dataset, to_float_images
from infogan.trainer import build_training_state, train, train_step


@pytest.fixture(scope="module")
def real_batch():
    return to_float_images(load_dataset("mnist", "test").images[:16])


def _snapshot(module):
    return {name: value.clone() for name, value in module.state_dict().items()}


def test_train_step_changes_every_network(tiny_config, real_batch):
    state = build_training_state(tiny_config, torch.device("cpu"), 100)
    before_g, before_d = _snapshot(state.generator), _snapshot(state.discriminator)
    metrics = train_step(state, tiny_config.latent, real_batch, info_weight=1.0)
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


def test_generation_and_encoding_change_nothing(tiny_config, real_batch):
    from infogan.sampling import encode, generate

    state = build_training_state(tiny_config, torch.device("cpu"), 100)
    before_g, before_d = _snapshot(state.generator), _snapshot(state.discriminator)
    generate(state.generator, tiny_config.latent, tiny_config.latent.sample(8))
    encode(state.discriminator, tiny_config.latent, real_batch)
    assert all(torch.equal(before_g[k], v) for k, v in state.generator.state_dict().items())
    assert all(torch.equal(before_d[k], v) for k, v in state.discriminator.state_dict().items())


@pytest.mark.parametrize("info_weight, q_matters", [(0.0, False), (1.0, True)])
def test_q_head_steers_g_and_the_body_only_in_infogan_mode(tiny_config, real_batch, info_weight, q_matters):
    """Plain GAN: G and D's body do not depend on Q's weights; InfoGAN: they do."""
    state = build_training_state(tiny_config, torch.device("cpu"), 100)
    other = copy.deepcopy(state)
    with torch.no_grad():
        for parameter in other.discriminator.q_head.parameters():
            parameter.add_(0.5 * torch.randn_like(parameter))
    train_step(state, tiny_config.latent, real_batch, info_weight)
    train_step(other, tiny_config.latent, real_batch, info_weight)
    same_g = all(torch.equal(a, b) for a, b in zip(state.generator.parameters(), other.generator.parameters()))
    same_body = all(
        torch.equal(a, b) for a, b in zip(state.discriminator.body.parameters(), other.discriminator.body.parameters())
    )
    assert same_g == (not q_matters)
    assert same_body == (not q_matters)


def test_training_is_deterministic_on_cpu(tiny_config, tmp_path):
    config = tiny_config.with_changes(steps=3, log_every=1)
    train(config, tmp_path / "a", progress=False)
    train(config, tmp_path / "b", progress=False)
    strip = lambda records: [{k: v for k, v in r.items() if k != "time_s"} for r in records]  # noqa: E731
    assert strip(read_metrics(tmp_path / "a")) == strip(read_metrics(tmp_path / "b"))
    assert len(read_metrics(tmp_path / "a", "train")) == 3


def test_metrics_are_mirrored_to_tensorboard_when_available(tiny_config, tmp_path, monkeypatch):
    from infogan import training_log

    scalars = []

    class FakeWriter:
        def add_scalar(self, name, value, step):
            scalars.append((name, step))

        def close(self):
            scalars.append(("closed", -1))

    monkeypatch.setattr(training_log, "_tensorboard_writer", lambda run_dir: FakeWriter())
    train(tiny_config.with_changes(steps=2, log_every=1), tmp_path / "tb", progress=False)
    assert ("info/c1", 1) in scalars and ("loss/d", 2) in scalars and scalars[-1] == ("closed", -1)


@pytest.mark.slow
def test_short_mnist_run_makes_c1_far_more_informative_than_a_plain_gan(mnist_spec, tmp_path):
    """40 real MNIST steps: InfoGAN's L_I(c1) climbs past 0.8 nats; the plain GAN's stays near 0."""
    from infogan.config import TrainConfig

    config = TrainConfig(latent=mnist_spec, steps=40, batch_size=64, log_every=10, image_every=40,
                         checkpoint_every=40, eval_every=0, device="cpu")
    bounds = {}
    for mode in ("infogan", "plain"):
        train(config.with_changes(mode=mode), tmp_path / mode, progress=False)
        bounds[mode] = read_metrics(tmp_path / mode, "train")[-1]["info/c1"]  # mean over steps 31-40
    assert bounds["infogan"] > 0.8, bounds
    assert bounds["plain"] < 0.4, bounds
    assert bounds["infogan"] - bounds["plain"] > 0.6, bounds


def test_lr_q_gives_q_head_its_own_adam_step(tiny_config, real_batch):
    """Adam's first step moves each weight by about its learning rate (g / |g|): lr_q for
    Q's head, lr_d for the body and D's head; unset, Q's head moves by lr_d."""
    def largest_moves(config):
        state = build_training_state(config, torch.device("cpu"), 100)
        before = _snapshot(state.discriminator)
        train_step(state, config.latent, real_batch, info_weight=1.0)
        after = state.discriminator.state_dict()
        moved = lambda prefix: max(  # noqa: E731
            (after[k] - before[k]).abs().max().item() for k in before if k.startswith(prefix) and "running" not in k
            and "num_batches" not in k)
        return moved("q_head."), moved("body."), len(state.optimizer_d.param_groups)

    q_move, body_move, groups = largest_moves(tiny_config.with_changes(lr_d=1e-3, lr_q=4e-3))
    assert groups == 2
    assert q_move == pytest.approx(4e-3, rel=1e-3)
    assert body_move == pytest.approx(1e-3, rel=1e-3)
    q_move, body_move, groups = largest_moves(tiny_config.with_changes(lr_d=1e-3, lr_q=None))
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


def test_reuse_fakes_is_the_default_step_with_the_d_steps_latents(tiny_config, real_batch):
    reused = build_training_state(tiny_config, torch.device("cpu"), 100)
    fresh = copy.deepcopy(reused)
    reused_calls, fresh_calls = _generator_forwards(reused), _generator_forwards(fresh)
    reused_metrics = train_step(reused, tiny_config.latent, real_batch, 1.0, reuse_fakes=True)
    fresh_metrics = train_step(fresh, _RepeatingSpec(tiny_config.latent), real_batch, 1.0)
    assert (len(reused_calls), len(fresh_calls)) == (1, 2)  # the G forward it saves
    assert reused_metrics.keys() == fresh_metrics.keys()
    for name, value in reused_metrics.items():
        assert value == pytest.approx(fresh_metrics[name], rel=1e-5, abs=1e-6), name
    for ours, theirs in zip(reused.generator.parameters(), fresh.generator.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(reused.discriminator.parameters(), fresh.discriminator.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_reuse_fakes_runs_from_the_config_and_must_be_a_bool(tiny_config, tmp_path):
    from infogan.errors import InfoganError

    with pytest.raises(InfoganError, match="reuse-fakes"):
        tiny_config.with_changes(reuse_fakes="yes")
    config = tiny_config.with_changes(steps=2, log_every=1, reuse_fakes=True)
    train(config, tmp_path / "reused", progress=False)
    train(config.with_changes(reuse_fakes=False), tmp_path / "fresh", progress=False)
    reused, fresh = read_metrics(tmp_path / "reused"), read_metrics(tmp_path / "fresh")
    # Step 1's D update is the same either way; its G update sees other latents.
    assert reused[0]["loss/d"] == fresh[0]["loss/d"] and reused[0]["loss/g"] != fresh[0]["loss/g"]
