"""The presets hold the values the paper gives, and the default departs from them only where measured."""

import dataclasses
import math

from infogan.presets import PRESETS, get_preset


def _differences(a, b) -> dict:
    return {
        field.name: (getattr(a, field.name), getattr(b, field.name))
        for field in dataclasses.fields(a)
        if field.name != "preset" and getattr(a, field.name) != getattr(b, field.name)
    }


def test_mnist_authors_holds_the_released_code_settings():
    config = get_preset("mnist-authors")
    assert (config.lr_d, config.lr_g, config.beta1, config.batch_size, config.steps) == (2e-4, 1e-3, 0.5, 128, 5000)
    assert config.weight_init == "normal" and config.leaky_slope == 0.1  # the paper text's slope; the code has 0.01
    latent = config.latent
    assert (latent.noise.dim, latent.noise.dist) == (62, "uniform")
    kinds = [(code.kind, code.categories, code.weight, code.learned_std) for code in latent.codes]
    assert kinds == [("categorical", 10, 1.0, False), ("uniform", 0, 1.0, False), ("uniform", 0, 1.0, False)]
    assert math.isclose(latent.codes[0].entropy_nats(), math.log(10))


def test_default_mnist_differs_from_the_authors_only_in_init_and_d_learning_rate():
    assert _differences(get_preset("mnist"), get_preset("mnist-authors")) == {
        "weight_init": ("pytorch", "normal"),
        "lr_d": (8e-4, 2e-4),
    }


def test_mnist_paper_differs_from_the_authors_only_in_its_latent_spec():
    assert set(_differences(get_preset("mnist-paper"), get_preset("mnist-authors"))) == {"latent"}
    codes = get_preset("mnist-paper").latent.codes
    assert [code.weight for code in codes] == [1.0, 0.1, 0.1] and codes[1].learned_std
    assert get_preset("mnist-paper").latent.noise.dist == "normal"


def test_mnist_scaled_differs_from_the_default_only_in_the_codes_input_scale():
    assert set(_differences(get_preset("mnist-scaled"), get_preset("mnist"))) == {"latent"}
    scaled, default = get_preset("mnist-scaled").latent, get_preset("mnist").latent
    assert [code.input_scale for code in scaled.codes] == [3.16, 3.16, 3.16]
    unscaled = tuple(dataclasses.replace(code, input_scale=1.0) for code in scaled.codes)
    assert (unscaled, scaled.noise) == (default.codes, default.noise)


def test_every_preset_knows_its_own_name():
    assert all(config.preset == name for name, config in PRESETS.items())
