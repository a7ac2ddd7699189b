"""Layers: each a ``Module`` built from autograd ops only.

``LSTM`` and ``GRU`` are PyTorch's (``LSTM(input_size, hidden_size, ...)``) and, called with
Keras's signature (``LSTM(units, ...)``), Keras's (``nn.layers.keras_recurrent``).
"""
from .activations import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .attention import MultiHeadAttention, MultiheadAttention
from .dense import Dense, Linear
from .dropout import Dropout
from .embedding import Embedding
from .keras_recurrent import Bidirectional, SimpleRNN
from .layer_norm import LayerNorm, LayerNormalization
from .masking import Masking
from .normalization import BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormalization
from .positional import PositionalEmbedding
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .reshaping import Flatten
from .transformer import TransformerEncoderLayer

__all__ = ["Dense", "Linear", "Dropout", "BatchNormalization", "BatchNorm", "BatchNorm1d",
           "BatchNorm2d", "BatchNorm3d", "Flatten", "ReLU", "LeakyReLU", "Sigmoid", "Tanh",
           "Softmax", "GELU", "ELU", "Softplus", "Embedding", "Masking", "RNN", "LSTM", "GRU",
           "RNNCell", "LSTMCell", "GRUCell", "SimpleRNN", "Bidirectional", "LayerNorm",
           "LayerNormalization", "MultiheadAttention", "MultiHeadAttention", "PositionalEmbedding",
           "TransformerEncoderLayer"]
from .conv import Conv1D, Conv1d, Conv2D, Conv2d, Conv3D, Conv3d, ConvND
from .pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool1d,
                      AvgPool2D, AvgPool2d, AvgPool3D, AvgPool3d, AvgPoolND, GlobalAveragePooling,
                      GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                      GlobalMaxPooling, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
                      MaxPool1D, MaxPool1d, MaxPool2D, MaxPool2d, MaxPool3D, MaxPool3d, MaxPooling1D,
                      MaxPooling2D, MaxPooling3D, MaxPoolND)

__all__ += ["ConvND", "Conv1D", "Conv2D", "Conv3D", "Conv1d", "Conv2d", "Conv3d", "MaxPoolND",
            "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
            "AvgPoolND", "AvgPool1D", "AvgPool2D", "AvgPool3D", "AveragePooling1D",
            "AveragePooling2D", "AveragePooling3D", "MaxPool1d", "MaxPool2d", "MaxPool3d",
            "AvgPool1d", "AvgPool2d", "AvgPool3d", "GlobalAveragePooling", "GlobalAveragePooling1D",
            "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling",
            "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"]
