import torch.nn.functional as F


def d_hinge_loss(real_logits, fake_logits):
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def g_hinge_loss(fake_logits):
    return -fake_logits.mean()


def d_bce_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, real_logits.new_ones(real_logits.shape))
            + F.binary_cross_entropy_with_logits(fake_logits, fake_logits.new_zeros(fake_logits.shape)))


def g_bce_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, fake_logits.new_ones(fake_logits.shape))


GAN_LOSSES = {"hinge": (d_hinge_loss, g_hinge_loss), "bce": (d_bce_loss, g_bce_loss)}
