import torch

from infogan.networks import build_networks, get_architecture


def test_mnist_shapes_follow_the_paper_table():
    arch = get_architecture("mnist")
    generator, discriminator = build_networks(arch, 74, 12, 0.1)
    images = generator(torch.rand(3, 74))
    assert images.shape == (3, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1  # sigmoid output
    assert discriminator.body.convs(images).shape == (3, 128, 7, 7)
    logits, q_output = discriminator(images)
    assert logits.shape == (3,) and q_output.shape == (3, 12)
    linear_shapes = [tuple(m.weight.shape) for m in discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert linear_shapes == [(1024, 6272), (1, 1024), (128, 1024), (12, 128)]
    g_linear = [tuple(m.weight.shape) for m in generator.modules() if isinstance(m, torch.nn.Linear)]
    assert g_linear == [(1024, 74), (6272, 1024)]


def test_first_discriminator_conv_has_no_batch_norm():
    _, discriminator = build_networks(get_architecture("mnist"), 74, 12, 0.1)
    layers = list(discriminator.body.convs)
    assert isinstance(layers[0], torch.nn.Conv2d) and isinstance(layers[1], torch.nn.LeakyReLU)
    assert isinstance(layers[3], torch.nn.BatchNorm2d)
    assert layers[1].negative_slope == 0.1


def test_weight_init_normal_is_the_authors_and_pytorch_keeps_layer_defaults():
    arch = get_architecture("mnist")
    torch.manual_seed(0)
    generator, discriminator = build_networks(arch, 74, 12, 0.1, weight_init="normal")
    fc_weight = discriminator.body.fully_connected[0].weight  # (1024, 6272)
    assert abs(fc_weight.std().item() - 0.02) < 0.001 and discriminator.body.fully_connected[0].bias.abs().max() == 0
    torch.manual_seed(0)
    _, default_discriminator = build_networks(arch, 74, 12, 0.1, weight_init="pytorch")
    default_weight = default_discriminator.body.fully_connected[0].weight
    # Kaiming-uniform with a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std 1/sqrt(3 fan_in).
    assert default_weight.abs().max().item() <= 1 / 6272**0.5
    assert abs(default_weight.std().item() - 1 / (3 * 6272) ** 0.5) < 1e-4
    assert torch.all(default_discriminator.body.fully_connected[1].weight == 1)  # BN scale 1
