"""Sliding-window arithmetic shared by convolution and pooling nodes."""


def same_padding(size_in, size_out, stride, span):
    """TensorFlow's ``"same"`` padding of one axis: ``(before, after)`` zeros such that
    ``size_out`` windows of ``span`` cells (``dilation * (kernel - 1) + 1``), ``stride``
    apart, cover ``size_in`` cells; the odd zero goes after."""
    total = max((size_out - 1) * stride + span - size_in, 0)
    return total // 2, total - total // 2
