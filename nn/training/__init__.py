"""Keras-style training: ``Model`` (compile/fit/evaluate/predict/summary/save), callbacks,
``History`` and metrics."""

from . import callbacks, metrics
from .callbacks import (CSVLogger, Callback, EarlyStopping, History, LearningRateScheduler,
                        ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN)
from .model import Model

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "Model",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
    "callbacks",
    "metrics",
]
