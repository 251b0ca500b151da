"""The fused Adam the trainer uses computes the foreach Adam's update, and survives resume."""

import copy

import torch

from infogan.data import load_dataset, to_float_images
from infogan.optim import implementation, load_optimizer_state, make_adam
from infogan.trainer import build_training_state, train_step
from run_folders import tiny_config

CONFIG = tiny_config()


def _adam_pair(seed: int) -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
    torch.manual_seed(seed)
    params = [torch.nn.Parameter(torch.randn(shape)) for shape in [(64, 33), (33,), (7, 5, 4, 4)]]
    return params, [torch.nn.Parameter(p.detach().clone()) for p in params]


def test_fused_and_foreach_adam_take_the_same_steps():
    fused_params, foreach_params = _adam_pair(0)
    fused = make_adam(fused_params, lr=1e-3, betas=(0.5, 0.999))
    foreach = torch.optim.Adam(foreach_params, lr=1e-3, betas=(0.5, 0.999), foreach=True)
    start = [p.detach().clone() for p in fused_params]
    for _ in range(20):
        grads = [torch.randn_like(p) for p in fused_params]
        for params, optimizer in ((fused_params, fused), (foreach_params, foreach)):
            for parameter, grad in zip(params, grads):
                parameter.grad = grad.clone()
            optimizer.step()
    for a, b, before in zip(fused_params, foreach_params, start):
        assert (a - before).abs().max() > 1e-3  # they really moved
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_trainer_uses_fused_adam_where_torch_has_it():
    state = build_training_state(CONFIG, torch.device("cpu"), dataset_size=100)
    has_cpu_fused = True
    try:
        torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], fused=True)
    except RuntimeError:
        has_cpu_fused = False
    expected = "fused" if has_cpu_fused else "foreach"
    assert implementation(state.optimizer_g) == implementation(state.optimizer_d) == expected


def test_a_foreach_checkpoint_resumes_with_this_optimizer_and_same_moments():
    """A run saved by the foreach version continues with the fused kernel, moments intact."""
    real = to_float_images(load_dataset("mnist", "test").images[:16])
    state = build_training_state(CONFIG, torch.device("cpu"), dataset_size=100)
    old_params = list(state.discriminator.parameters())
    old = torch.optim.Adam(old_params, lr=2e-4, betas=(0.5, 0.999), foreach=True)
    state.optimizer_d = old
    train_step(state, CONFIG.latent, real, info_weight=1.0)
    saved = copy.deepcopy(old.state_dict())

    fresh = build_training_state(CONFIG, torch.device("cpu"), dataset_size=100)
    fresh.discriminator.load_state_dict(state.discriminator.state_dict())
    load_optimizer_state(fresh.optimizer_d, saved)
    this_optimizer = make_adam([torch.nn.Parameter(torch.zeros(1))], 1e-3, (0.5, 0.999))
    assert implementation(fresh.optimizer_d) == implementation(this_optimizer)
    for parameter, old_parameter in zip(fresh.discriminator.parameters(), old_params):
        new_state, old_state = fresh.optimizer_d.state[parameter], old.state[old_parameter]
        assert torch.equal(new_state["exp_avg"], old_state["exp_avg"])
        assert float(new_state["step"]) == float(old_state["step"]) == 1.0
    # and it steps: the moments change and nothing becomes non-finite
    train_step(fresh, CONFIG.latent, real, info_weight=1.0)
    assert all(torch.isfinite(p).all() for p in fresh.discriminator.parameters())
    assert all(float(fresh.optimizer_d.state[p]["step"]) == 2.0 for p in fresh.discriminator.parameters())
