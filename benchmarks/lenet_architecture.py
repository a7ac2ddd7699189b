"""The LeNet-like network and data that lenet_step.py (lucidgrad) and lenet_torch.py (PyTorch)
both time, described once.

Batches of ``BATCH_SIZE`` single-channel ``IMAGE_SIDE`` x ``IMAGE_SIDE`` images go through each of
``CONVOLUTIONS`` in turn (a ``KERNEL_SIDE`` x ``KERNEL_SIDE`` convolution without padding, ReLU,
a ``POOL_SIZE`` max-pool), so the feature maps go 28 -> 24 -> 12 -> 8 -> 4; then flatten (16*4*4 =
256 features) and ``DENSES``, each but the last followed by ReLU, the last giving ``CLASSES``
logits for softmax cross-entropy.
"""

BATCH_SIZE = 128
IMAGE_SIDE = 28
CLASSES = 10
KERNEL_SIDE = 5
POOL_SIZE = 2

CONVOLUTIONS = (("conv1", 1, 6), ("conv2", 6, 16))  # (name, input channels, output channels)
DENSES = (("fc1", 16 * 4 * 4, 120), ("fc2", 120, 84), ("fc3", 84, CLASSES))  # (name, inputs, outputs)
