"""The LeNet-style convolutional network (``--model cnn`` of ``lucidgrad train``).

It is a LeNet-style network for channels-first grey images ``(1, 28, 28)`` (defaults)::

    Conv2D(16, 5, relu) MaxPool(2) BatchNorm   ->  (16, 12, 12)
    Conv2D(32, 5, relu) MaxPool(2) BatchNorm   ->  (32, 4, 4)
    Flatten  Dense(256, relu)  Dropout(0.25)  Dense(num_classes, softmax)

``lucidgrad train --model cnn`` trains it with Adam (lr 1e-3) for 8 epochs, multiplying the
learning rate by 0.7 after every epoch: about 99.3% on MNIST and 91% on Fashion-MNIST. The
decay settles the epoch-to-epoch swings of a constant rate (about 0.1 point on MNIST, 1 point
on Fashion-MNIST).
"""
from ..containers import Sequential
from ..layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU

__all__ = ["lenet"]


def lenet(input_shape, num_classes, filters=(16, 32), kernel_size=5, padding="valid",
          dense_units=256, batch_norm=True, bn_after_pool=True, bn_momentum=0.9, dropout=0.25,
          **_):
    """A LeNet-style CNN for images of ``input_shape`` ``(C, H, W)`` (channels first) and
    ``num_classes`` classes; returns an uncompiled ``Sequential``.

    ``filters`` gives one conv block (conv, optional batch norm, ReLU, 2x2 max pool) per entry;
    ``dense_units`` the hidden dense layer (0 for none); ``dropout`` its dropout rate (0 for
    none). Options it does not know are ignored.
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError(f"cnn: expected one image's shape (C, H, W), got {input_shape}")
    layers = []
    for index, count in enumerate(filters):
        shape = {"input_shape": input_shape} if index == 0 else {}
        if batch_norm and not bn_after_pool:
            layers += [Conv2D(count, kernel_size, padding=padding, use_bias=False, **shape),
                       BatchNormalization(momentum=bn_momentum), ReLU(), MaxPool2D(2)]
        else:
            layers += [Conv2D(count, kernel_size, padding=padding, activation="relu", **shape),
                       MaxPool2D(2)]
            if batch_norm:
                layers.append(BatchNormalization(momentum=bn_momentum))
    layers.append(Flatten())
    if dense_units:
        layers.append(Dense(dense_units, activation="relu"))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(num_classes, activation="softmax"))
    return Sequential(layers)
