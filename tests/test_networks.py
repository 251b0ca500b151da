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
