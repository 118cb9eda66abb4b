import torch


class ScaledTanhClip(torch.autograd.Function):
    """y = alpha * tanh(x / alpha); custom backward avoids storing the tanh graph."""

    @staticmethod
    def forward(ctx, x, alpha, inplace_hint):
        t = torch.tanh(x / alpha)
        ctx.save_for_backward(x, alpha, t)
        return alpha * t

    @staticmethod
    def backward(ctx, grad_out):
        x, alpha, t = ctx.saved_tensors
        sech2 = 1.0 - t * t
        grad_x = grad_out * sech2
        grad_alpha = (grad_out * (t - x / alpha * sech2)).sum().reshape(alpha.shape)
        # third input is a Python bool flag: no gradient
        return grad_x, grad_alpha, None


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_out):
        return -ctx.lambd * grad_out, None


def soft_clip(x, alpha):
    return ScaledTanhClip.apply(x, alpha, False)


def grad_reverse(x, lambd=1.0):
    return GradReverse.apply(x, lambd)
