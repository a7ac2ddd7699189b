"""Data for training: dataset loaders, synthetic toy problems, one-hot encoding, mini-batching
(``batches``, and PyTorch's ``DataLoader`` over a ``Dataset``); ``nn.data.text`` for
character-level text (vocabulary, sequence arrays, the word list and Tang poems, a bigram baseline).

Nothing here depends on the autodiff engine; everything works on plain numpy arrays.
"""

from .batching import BatchIterator, batches, to_categorical
from .datasets import cache_dir, load_fashion_mnist, load_mnist
from .idx import ChecksumMismatchError, DatasetError, decode_idx, read_idx, write_idx
from .loader import DataLoader, Dataset, TensorDataset, default_collate
from .synthetic import make_blobs, make_moons, make_spirals
from . import text

__all__ = [
    "BatchIterator",
    "ChecksumMismatchError",
    "DataLoader",
    "Dataset",
    "DatasetError",
    "TensorDataset",
    "batches",
    "cache_dir",
    "decode_idx",
    "default_collate",
    "load_fashion_mnist",
    "load_mnist",
    "make_blobs",
    "make_moons",
    "make_spirals",
    "read_idx",
    "text",
    "to_categorical",
    "write_idx",
]
