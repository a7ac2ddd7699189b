"""The tiny-GPT CPU configuration trained in lucidgrad and in PyTorch, side by side.

The configuration a well-known tiny-GPT project gives for training on a laptop CPU: 4 layers, 4
heads, 128-dimensional embeddings, a context of 64 characters, batch 12, 2,000 iterations, no
dropout, AdamW (lr 1e-3, beta2 0.99, weight decay 0.1) with the gradient clipped at global norm
1, a linear warmup over 100 iterations and a cosine decay to 1e-4 at the last one. Two
differences: weight decay applies to every parameter (lucidgrad's optimizers have no parameter
groups; that project leaves biases, norms and embeddings alone), in both libraries; and the GELU
is the tanh form (GPT-2's), in both.

The text is the English word list as one running text, the words separated by the boundary
``.``, split by words 80/10/10 (seed 0, the split of ``lucidgrad train --dataset words``); each
iteration draws 12 windows of 64 characters at random offsets of the training text. Both models
start from the same weights and see the same batches, and the iterations alternate (one step of
each), so that the machine's load falls on both alike. The validation loss (nats per character)
is the mean over every non-overlapping 64-character window of the validation text, every
``--eval-interval`` iterations and at the end.

    LUCIDGRAD_DATA=... python benchmarks/tiny_gpt_training.py [--iterations 2000] [--no-torch]

Threads: numpy's BLAS reads its thread count at import; give both the same with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` (PyTorch follows ``OMP_NUM_THREADS``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root
sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness, transformer_torch
from harness import optional_import, print_header  # noqa: E402

import nn  # noqa: E402
from autograd import no_grad  # noqa: E402
from nn.data.text import (CharVocabulary, char_windows, load_words, sample_windows,  # noqa: E402
                          train_val_test_split)
from nn.models.gpt import GPT  # noqa: E402
from nn.models.language import next_token_loss  # noqa: E402

CONFIG = {"context_length": 64, "num_layers": 4, "num_heads": 4, "embed_dim": 128,
          "dropout": 0.0, "activation": "gelu_tanh"}
BATCH = 12
LR, MIN_LR, WARMUP, BETA2, WEIGHT_DECAY, CLIP = 1e-3, 1e-4, 100, 0.99, 0.1, 1.0


def running_texts(boundary="."):
    """(vocabulary, training ids, validation ids): the words of each part joined by the
    boundary."""
    train, val, _ = train_val_test_split(load_words(), (0.8, 0.1, 0.1), seed=0)
    vocabulary = CharVocabulary.from_text(train + val, specials=(boundary,))
    return (vocabulary, *(vocabulary.encode(boundary + boundary.join(words) + boundary)
                          for words in (train, val)))


def lucidgrad_run(vocabulary, iterations, seed):
    """The model, its AdamW with the schedule, and a ``step(x, y) -> loss`` function."""
    nn.seed(seed)
    model = GPT(len(vocabulary), **CONFIG)
    optimizer = nn.optim.AdamW(model.parameters(), lr=LR, beta2=BETA2, eps=1e-8,
                               weight_decay=WEIGHT_DECAY, global_clipnorm=CLIP)
    warmup = min(WARMUP, iterations // 2)  # short trial runs keep a decay
    decay = nn.optim.CosineDecay(optimizer, total_steps=iterations - warmup, min_lr=MIN_LR,
                                 interval="step")
    schedule = nn.optim.LinearWarmup(optimizer, warmup, after=decay, start_factor=0.01)

    def step(x, y):
        loss = next_token_loss(y, model(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        return loss.item()

    return model, optimizer, step


def torch_run(model, optimizer):
    """The same model in PyTorch with the same weights; its step follows ``optimizer``'s lr."""
    import torch

    from transformer_torch import TorchGPT, copy_weights

    theirs = TorchGPT(model.vocab_size, CONFIG["context_length"], CONFIG["num_layers"],
                      CONFIG["num_heads"], CONFIG["embed_dim"], CONFIG["activation"])
    copy_weights(model, theirs)
    torch_optimizer = torch.optim.AdamW(theirs.parameters(), lr=LR, betas=(0.9, BETA2),
                                        weight_decay=WEIGHT_DECAY)

    def step(x, y):
        for group in torch_optimizer.param_groups:
            group["lr"] = optimizer.lr  # the schedule lucidgrad's step just used
        logits = theirs(torch.from_numpy(x))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 torch.from_numpy(y).reshape(-1))
        torch_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), CLIP)
        torch_optimizer.step()
        return loss.item()

    def evaluate(inputs, targets):
        with torch.no_grad():
            theirs.eval()
            total = 0.0
            for start in range(0, len(inputs), 64):
                x, y = inputs[start:start + 64], targets[start:start + 64]
                logits = theirs(torch.from_numpy(x))
                total += torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1),
                    reduction="sum").item()
            theirs.train()
        return total / targets.size

    return step, evaluate


def lucidgrad_evaluate(model, inputs, targets):
    total = 0.0
    with no_grad(), model.mode(False):
        for start in range(0, len(inputs), 64):
            x, y = inputs[start:start + 64], targets[start:start + 64]
            total += next_token_loss(y, model(x)).item() * y.size
    return total / targets.size


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--eval-interval", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-torch", action="store_true", help="train lucidgrad's model only")
    args = parser.parse_args(argv)
    torch = None if args.no_torch else optional_import("torch")
    if torch is not None:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    print_header("tiny-GPT CPU configuration on the word list, lucidgrad vs PyTorch eager")
    vocabulary, train_ids, val_ids = running_texts()
    val_inputs, val_targets = char_windows(val_ids, CONFIG["context_length"])
    print(f"{len(vocabulary)} tokens; {len(train_ids):,} training and {len(val_ids):,} validation "
          f"characters ({len(val_inputs)} validation windows)\n")
    model, optimizer, ours = lucidgrad_run(vocabulary, args.iterations, args.seed)
    runs = {"lucidgrad": (ours, lambda x, y: lucidgrad_evaluate(model, x, y))}
    if torch is not None:
        runs["torch"] = torch_run(model, optimizer)
    rng = np.random.default_rng(args.seed)
    seconds = {name: [] for name in runs}
    losses = {name: 0.0 for name in runs}
    for iteration in range(1, args.iterations + 1):
        x, y = sample_windows(train_ids, CONFIG["context_length"], BATCH, rng)
        lr = optimizer.lr
        for name, (step, _) in runs.items():
            start = time.perf_counter()
            losses[name] = step(x, y)
            seconds[name].append(time.perf_counter() - start)
        if iteration % args.eval_interval == 0 or iteration == args.iterations:
            line = f"iteration {iteration} (lr {lr:.2e}):"
            for name, (_, evaluate) in runs.items():
                val = evaluate(val_inputs, val_targets)
                recent = np.median(seconds[name][-args.eval_interval:]) * 1e3
                line += (f"  {name} train loss {losses[name]:.4f}, val loss {val:.4f}, "
                         f"{recent:.1f} ms/iteration;")
            print(line, flush=True)
    print()
    for name in runs:
        times = np.array(seconds[name][10:]) * 1e3  # the first steps warm up
        print(f"{name}: median {np.median(times):.1f} ms per iteration (mean {times.mean():.1f}), "
              f"{sum(seconds[name]):.0f} s in all")
    if torch is not None:
        ratio = np.median(seconds["lucidgrad"][10:]) / np.median(seconds["torch"][10:])
        print(f"ratio lucidgrad / torch: {ratio:.2f}x")


if __name__ == "__main__":
    main()
