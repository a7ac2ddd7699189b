"""Train a model on MNIST, Fashion-MNIST, the two moons, English words or Tang poems; save it
and its learning curve.

The default run is the seed recipe: pixels scaled to [0, 1] as float32 rows of 784, one-hot
labels, ``Dense(512, relu) -> Dense(10, softmax)``, categorical cross-entropy, RMSprop, batch 128,
5 epochs; then the test loss and accuracy are printed, and ``model.npz`` and
``learning_curve.png`` are written to the output directory (``runs/<dataset>-<model>``).
A model may register other defaults for the optimizer, the epochs and a per-epoch learning-rate
decay (the ``cnn`` does); options given on the command line always win.

``--dataset words`` trains a character-level language model on the English word list (makemore's
task: predict each next letter of a word, and its end), for models that have one (``--model
lstm``, ``--model gpt``): the words are split 80/10/10 (seed 0), and the test loss in nats per
character is printed next to a count-based bigram baseline's, followed by 20 sampled words.
``--dataset tang300`` does the same with the 300 Tang poems (split by poem), read as one running
text in windows of 64 characters, each poem between ``|`` boundaries, and prints 3 sampled poems.
``lucidgrad generate`` samples more from the saved model.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .arguments import decay_factor, fraction, positive_float, positive_int

__all__ = ["DATASETS", "DatasetChoice", "add_arguments", "run", "load_dataset"]

MOONS_SAMPLES = 2000
MOONS_NOISE = 0.2
MOONS_TEST_FRACTION = 0.2


@dataclass(frozen=True)
class DatasetChoice:
    """A dataset the command can train on."""

    title: str
    load: Callable  # (data_dir, download, seed) -> ((x_train, y_train), (x_test, y_test))
    num_classes: int
    is_image: bool
    model_options: dict = field(default_factory=dict)  # passed to the model builder
    source: str | None = None  # the name of its DatasetSource in nn.data.datasets (files)
    text: bool = False  # a language-modelling corpus: load gives (train, val, test) texts
    # for text: the token that starts and ends each text; None windows: whole texts (words),
    # padded; a length: one running text cut into windows of that many characters (poems)
    boundary: str = "."
    window: int | None = None
    unit: str = "word"  # what one text is called, and how many to sample after training
    samples: int = 20
    sample_length: int = 50


# how the dataset loader's messages refer to this command's options
COMMAND_LINE_NAMES = {"path": "--data-dir D", "no_download": "--no-download was given"}


def _load_idx(source_name: str) -> Callable:
    def load(data_dir, download, seed):
        from ..data import datasets

        names = datasets.ArgumentNames(**COMMAND_LINE_NAMES)
        return datasets.load_idx_dataset(getattr(datasets, source_name), data_dir, download,
                                         names=names)

    return load


def _load_moons(data_dir, download, seed):
    from ..data import make_moons

    x, y = make_moons(MOONS_SAMPLES, noise=MOONS_NOISE, seed=seed)
    split = int(len(x) * (1 - MOONS_TEST_FRACTION))
    return (x[:split], y[:split]), (x[split:], y[split:])


WORDS_SPLIT = (0.8, 0.1, 0.1)  # train, validation, test; always drawn with seed 0


def _load_words(data_dir, download, seed):
    from ..data.text import load_words, train_val_test_split

    return train_val_test_split(load_words(), WORDS_SPLIT, seed=0)


def _load_tang300(data_dir, download, seed):
    from ..data.text import load_tang_poems, train_val_test_split

    poems = [poem.body for poem in load_tang_poems()]
    return train_val_test_split(poems, WORDS_SPLIT, seed=0)


DATASETS = {
    "mnist": DatasetChoice("MNIST", _load_idx("MNIST"), 10, True, source="MNIST"),
    "fashion-mnist": DatasetChoice("Fashion-MNIST", _load_idx("FASHION_MNIST"), 10, True,
                                   source="FASHION_MNIST"),
    "moons": DatasetChoice("two moons", _load_moons, 2, False, {"hidden_units": (16, 16)}),
    "words": DatasetChoice("English words", _load_words, 0, False, text=True),
    "tang300": DatasetChoice("the 300 Tang poems", _load_tang300, 0, False, text=True,
                             boundary="|", window=64, unit="poem", samples=3,
                             sample_length=120),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``train``."""
    from ..models import MODELS
    from ..optim import OPTIMIZERS

    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist",
                        help="what to train on (default: mnist)")
    parser.add_argument("--model", choices=sorted(MODELS), default="mlp",
                        help="model architecture (default: mlp, the seed recipe)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help=f"default: {_defaults_text('epochs')}")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"default: {_defaults_text('batch_size')}")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=None,
                        help=f"default: {_defaults_text('optimizer')}")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="learning rate (default: the optimizer's own default)")
    parser.add_argument("--lr-decay", type=decay_factor, default=None,
                        help="multiply the learning rate by this factor after every epoch "
                             f"(default: {_defaults_text('lr_decay')})")
    parser.add_argument("--momentum", type=fraction, default=None,
                        help="momentum for sgd or rmsprop (default: the optimizer's own, 0)")
    parser.add_argument("--nesterov", action="store_true", help="Nesterov momentum (sgd)")
    parser.add_argument("--validation-split", type=fraction, default=0.0,
                        help="fraction of the training data held out for validation (default: 0)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the dataset files, searched first; it must exist "
                             "(default: $LUCIDGRAD_DATA, then the download cache)")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading a missing dataset")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--output-dir", default=None,
                        help="where to save model.npz and learning_curve.png "
                             "(default: runs/<dataset>-<model>)")
    parser.add_argument("--limit", type=positive_int, default=None,
                        help="train on the first N training samples only")
    parser.add_argument("--verbose", type=int, choices=(1, 2), default=1,
                        help="1: a progress bar per epoch (default; one line per epoch when the "
                             "output is a file or a pipe); 2: one line per epoch")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the test results and where files were saved")


# The seed recipe's settings; a model's entry in ``nn.models.MODELS`` may override them.
RECIPE_SETTINGS = {"optimizer": "rmsprop", "epochs": 5, "lr_decay": 1.0, "batch_size": 128}


def _defaults_text(setting: str) -> str:
    """``'5 (8 for --model cnn)'``: the recipe's default and the models that change it."""
    from ..models import MODELS

    def shown(value):
        return f"{value:g}" if isinstance(value, float) else str(value)

    others = [f"{shown(entry.training[setting])} for --model {name}"
              for name, entry in sorted(MODELS.items()) if setting in entry.training]
    return shown(RECIPE_SETTINGS[setting]) + (f" ({', '.join(others)})" if others else "")


def training_settings(args: argparse.Namespace, entry, text: bool = False) -> dict:
    """Optimizer, epochs, lr decay and batch size: the command line's, else the model's (its
    ``language_training`` for a text dataset), else the recipe's."""
    settings = {**RECIPE_SETTINGS, **(entry.language_training if text else entry.training)}
    for key in RECIPE_SETTINGS:
        given = getattr(args, key)
        if given is not None:
            settings[key] = given
    return settings


def load_dataset(name: str, data_dir=None, download: bool = True, seed: int = 0):
    """Load dataset ``name`` as ``((x_train, y_train), (x_test, y_test))`` with integer labels."""
    return DATASETS[name].load(data_dir, download, seed)


def _inputs(x: np.ndarray, is_image: bool, layout: str) -> np.ndarray:
    """Samples as float32 model inputs: images scaled to [0, 1] and shaped for ``layout``
    (``sequence``: one image row per time step)."""
    x = np.asarray(x)
    if layout == "tokens":
        text = sorted(name for name, choice in DATASETS.items() if choice.text)
        raise ValueError(f"this model reads text; choose --dataset {' or '.join(text)}")
    if is_image:
        scaled = x.astype(np.float32) / np.float32(255.0)
        if layout == "images":
            return scaled.reshape(len(x), 1, *x.shape[1:])
        if layout == "sequence":
            return scaled.reshape(len(x), x.shape[1], -1)
        return scaled.reshape(len(x), -1)
    if layout in ("images", "sequence"):
        raise ValueError("this model expects images; choose an image dataset")
    return x.astype(np.float32)


def _error(message: str) -> int:
    print(f"lucidgrad train: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Train as ``args`` says; returns 0, or 2 with a message when the data cannot be had or the
    results could not be saved (both are checked before training starts)."""
    import nn
    from ..data import DatasetError, datasets, to_categorical
    from ..files import check_writable_directory
    from ..models import MODELS, build_model
    from ..plotting import plot_learning_curves
    from ..training.progress import plural

    dataset = DATASETS[args.dataset]
    entry = MODELS[args.model]
    if args.data_dir is not None and not Path(args.data_dir).expanduser().is_dir():
        return _error(f"--data-dir {args.data_dir}: no such directory")
    output_dir = Path(args.output_dir or os.path.join("runs", f"{args.dataset}-{args.model}"))
    try:
        check_writable_directory(output_dir)
    except OSError as error:
        return _error(f"--output-dir: {error}")
    nn.seed(args.seed)
    if dataset.text:
        return _train_language_model(args, dataset, entry)
    try:
        (x_train, y_train), (x_test, y_test) = load_dataset(
            args.dataset, args.data_dir, not args.no_download, args.seed
        )
    except DatasetError as error:
        return _error(str(error))
    if args.limit is not None:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    try:
        x_train = _inputs(x_train, dataset.is_image, entry.input_layout)
        x_test = _inputs(x_test, dataset.is_image, entry.input_layout)
    except ValueError as error:
        return _error(f"--model {args.model} with --dataset {args.dataset}: {error}")
    y_train = to_categorical(y_train, dataset.num_classes)
    y_test = to_categorical(y_test, dataset.num_classes)

    model = build_model(args.model, x_train.shape[1:], dataset.num_classes, **dataset.model_options)
    settings = training_settings(args, entry)
    name = settings["optimizer"]
    options = {} if args.lr is None else {"lr": args.lr}
    if args.momentum is not None or args.nesterov:
        if name not in ("sgd", "rmsprop") or (args.nesterov and name != "sgd"):
            return _error(f"--momentum applies to sgd and rmsprop, --nesterov to sgd only "
                          f"(got --optimizer {name})")
        options["momentum"] = 0.9 if args.momentum is None else args.momentum
        if args.nesterov:
            options["nesterov"] = True
    optimizer = nn.optim.get(name, **options)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    callbacks = []
    if settings["lr_decay"] != 1.0:
        decay = nn.optim.schedules.ExponentialDecay(optimizer, settings["lr_decay"])
        callbacks.append(nn.training.callbacks.LearningRateScheduler(decay))
    verbose = 0 if args.quiet else args.verbose
    if not args.quiet:
        if dataset.source is not None:
            source = getattr(datasets, dataset.source)
            print(f"Data directory: {datasets.dataset_dir(source, args.data_dir)}")
        print(f"{dataset.title}: {len(x_train)} training and {len(x_test)} test samples")
        model.summary()
        decaying = f", times {settings['lr_decay']:g} after every epoch" if callbacks else ""
        print(f"Training with {name} (lr {optimizer.lr:g}{decaying}) for "
              f"{plural(settings['epochs'], 'epoch')}")
    history = model.fit(
        x_train, y_train, epochs=settings["epochs"], batch_size=settings["batch_size"],
        validation_split=args.validation_split, verbose=verbose, seed=args.seed,
        callbacks=callbacks,
    )
    test = model.evaluate(x_test, y_test, batch_size=settings["batch_size"], verbose=0,
                          return_dict=True)
    print(f"Test loss: {test['loss']:.4f}")
    print(f"Test accuracy: {test['accuracy']:.4f}")

    output_dir.mkdir(parents=True, exist_ok=True)
    model_path = output_dir / "model.npz"
    curve_path = output_dir / "learning_curve.png"
    model.save(model_path)
    plot_learning_curves(history, curve_path, title=f"{args.model} on {dataset.title}",
                         test_results=test)
    print(f"Saved the model to {model_path} and the learning curve to {curve_path}")
    return 0


def _optimizer(args, settings):
    """The optimizer ``settings`` name, with ``--lr`` (or the model's default lr)."""
    import nn

    lr = args.lr if args.lr is not None else settings.get("lr")
    return nn.optim.get(settings["optimizer"], **({} if lr is None else {"lr": lr}))


def _text_arrays(dataset, parts, vocabulary):
    """``[(inputs, targets)]`` for the train, validation and test texts, and the bigram
    baseline's test loss: whole padded words, or windows of one running text (overlapping by
    three quarters for training)."""
    from ..data.text import BigramLanguageModel, padded_words
    from ..models.language import text_windows, word_sequences

    boundary, window = dataset.boundary, dataset.window
    bigram = BigramLanguageModel(len(vocabulary))
    if window is None:  # one length for all three parts: a GPT's context covers each
        length = 1 + max(len(text) for texts in parts for text in texts)
        arrays = [word_sequences(texts, vocabulary, boundary, length) for texts in parts]
        bigram.fit(*padded_words(parts[0], vocabulary, boundary))
        return arrays, bigram.nll(*padded_words(parts[2], vocabulary, boundary))
    arrays = [text_windows(texts, vocabulary, boundary, window, stride)
              for texts, stride in zip(parts, (max(window // 4, 1), window, window))]
    bigram.fit(*arrays[0])
    return arrays, bigram.nll(*arrays[2])


def _train_language_model(args: argparse.Namespace, dataset, entry) -> int:
    """Train ``entry``'s language model on the texts of ``dataset``; print its test loss next to
    the bigram baseline's and a few samples; save it."""
    import nn
    from ..data import DatasetError
    from ..data.text import CharVocabulary
    from ..models.language import mean_nll, next_token_loss
    from ..plotting import plot_learning_curves
    from ..training.progress import plural
    from .generate import generate

    if entry.language_model is None:
        text_models = sorted(name for name, e in _models().items() if e.language_model)
        return _error(f"--model {args.model} cannot learn text; choose one of {text_models}")
    try:
        train, val, test = dataset.load(args.data_dir, not args.no_download, args.seed)
    except DatasetError as error:
        return _error(str(error))
    if args.limit is not None:
        train = train[: args.limit]
    vocabulary = CharVocabulary.from_text(train + val + test, specials=(dataset.boundary,))
    arrays, bigram_nll = _text_arrays(dataset, (train, val, test), vocabulary)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = arrays

    model = entry.language_model(x_train.shape[1:], len(vocabulary), vocabulary=vocabulary,
                                 boundary=dataset.boundary)
    settings = training_settings(args, entry, text=True)
    optimizer = _optimizer(args, settings)
    model.compile(optimizer=optimizer, loss=next_token_loss)
    callbacks = []
    if settings["lr_decay"] != 1.0:
        decay = nn.optim.schedules.ExponentialDecay(optimizer, settings["lr_decay"])
        callbacks.append(nn.training.callbacks.LearningRateScheduler(decay))
    if not args.quiet:
        tokens = "".join(vocabulary.tokens) if len(vocabulary) <= 60 else "(not shown)"
        windows = ("" if dataset.window is None else
                   f", read as windows of {dataset.window} characters")
        print(f"{dataset.title}: {len(train)} training, {len(val)} validation and {len(test)} "
              f"test {dataset.unit}s{windows}; {len(vocabulary)} tokens: {tokens}")
        model.summary(input_shape=x_train.shape[1:])
        decaying = f", times {settings['lr_decay']:g} after every epoch" if callbacks else ""
        print(f"Training with {settings['optimizer']} (lr {optimizer.lr:g}{decaying}) for "
              f"{plural(settings['epochs'], 'epoch')}; the loss is in nats per character")
    history = model.fit(x_train, y_train, epochs=settings["epochs"],
                        batch_size=settings["batch_size"], validation_data=(x_val, y_val),
                        verbose=0 if args.quiet else args.verbose, seed=args.seed,
                        callbacks=callbacks)
    test_nll = mean_nll(model, x_test, y_test)
    print(f"Test loss: {test_nll:.4f} nats per character (count-based bigram baseline: "
          f"{bigram_nll:.4f})")
    print(f"{dataset.samples} sampled {dataset.unit}s:")
    generate(model, dataset.samples, dataset.sample_length, seed=args.seed)

    output_dir = Path(args.output_dir or os.path.join("runs", f"{args.dataset}-{args.model}"))
    output_dir.mkdir(parents=True, exist_ok=True)
    model_path, curve_path = output_dir / "model.npz", output_dir / "learning_curve.png"
    model.save(model_path)
    plot_learning_curves(history, curve_path, title=f"{args.model} on {dataset.title}",
                         test_results={"loss": test_nll})
    print(f"Saved the model to {model_path} and the learning curve to {curve_path}")
    print(f"More {dataset.unit}s: lucidgrad generate --model {model_path}")
    return 0


def _models():
    from ..models import MODELS

    return MODELS
