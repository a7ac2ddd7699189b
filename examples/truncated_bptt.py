"""Truncated backpropagation through time: a character LSTM trained on one long stream of text,
``--bptt`` steps at a time, with its state carried from chunk to chunk and detached in between.

A recurrent network could read a whole book before one backward pass, but the graph, the memory
and the time of that pass would grow with the book. Truncated BPTT cuts the stream into chunks:
each chunk starts from the state the previous chunk ended with (so the network still sees what
came before), but ``detach()`` cuts that state from the previous chunk's graph, so gradients flow
back at most ``--bptt`` steps and every training step costs the same::

    state = None
    for x, y in chunks:                         # (batch, bptt) inputs and next tokens
        logits, state = model.step(x, state)    # start from the carried state
        loss = next_token_loss(y, logits)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        state = tuple(s.detach() for s in state)  # keep the values, drop the history

The text is the English word list in a shuffled order, written as one stream (``.word.word.``);
the stream is split into ``--batch`` rows that are read side by side, so row ``i`` of one chunk
continues row ``i`` of the chunk before. At the end a held-out stream (a tenth of the words) is
scored, next to a count-based bigram model, in nats per character, and a sample is printed::

    python examples/truncated_bptt.py                    # 1,500 steps of 64 characters
    python examples/truncated_bptt.py --steps 300 --bptt 16
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nn  # noqa: E402
from autograd import Tensor, no_grad  # noqa: E402
from nn.data.text import (BigramLanguageModel, CharVocabulary, load_words,  # noqa: E402
                          train_val_test_split)
from nn.models import CharRNN  # noqa: E402
from nn.models.language import next_token_loss  # noqa: E402
from nn.optim import clip_grad_norm  # noqa: E402
from nn.sampling import sample_ids  # noqa: E402


def stream_rows(ids, batch):
    """A 1-D stream of ids as ``batch`` rows read side by side: row i is the i-th contiguous
    part of the stream (the tail that does not fill a row is dropped)."""
    length = len(ids) // batch
    return ids[:length * batch].reshape(batch, length)


def chunks(rows, bptt):
    """``(inputs, targets)`` of consecutive ``bptt``-step chunks of the rows; the targets are the
    inputs shifted by one step."""
    for start in range(0, rows.shape[1] - 1 - bptt + 1, bptt):
        yield rows[:, start:start + bptt], rows[:, start + 1:start + bptt + 1]


def detached(state):
    """The recurrent state with its history cut off: same values, no graph behind them."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train(model, rows, steps, bptt, lr, clip=1.0, log_every=100, print_fn=print):
    """``steps`` training steps of truncated BPTT over ``rows``, starting the state afresh each
    time the rows are used up. Returns the mean loss of the last ``log_every`` steps."""
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    state, losses, step, start = None, [], 0, time.perf_counter()
    model.train()
    while step < steps:
        for x, y in chunks(rows, bptt):
            logits, state = model.step(Tensor(x), state)
            loss = next_token_loss(y, logits)
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm(model.parameters(), clip)
            optimizer.step()
            state = detached(state)  # the truncation: the next chunk's gradients stop here
            losses.append(float(loss.data))
            step += 1
            if step % log_every == 0:
                print_fn(f"step {step}: loss {np.mean(losses[-log_every:]):.4f} nats per "
                         f"character ({time.perf_counter() - start:.0f} s)")
            if step == steps:
                break
        state = None  # the end of the stream: begin again from a fresh state
    return float(np.mean(losses[-log_every:]))


def stream_nll(model, ids, chunk=256):
    """The mean negative log-likelihood of each next id of one stream, in nats per character,
    read in chunks with the state carried (no truncation needed without gradients)."""
    total, state = 0.0, None
    with model.mode(False), no_grad():
        for start in range(0, len(ids) - 1, chunk):
            x = ids[start:start + chunk][None, :len(ids) - 1 - start]
            y = ids[start + 1:start + 1 + x.shape[1]][None]
            logits, state = model.step(Tensor(x), state)
            total += float(next_token_loss(y, logits).data) * y.size
    return total / (len(ids) - 1)


def main(argv=None, print_fn=print):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500, help="training steps (default 1500)")
    parser.add_argument("--bptt", type=int, default=64, help="steps per chunk (default 64)")
    parser.add_argument("--batch", type=int, default=32, help="rows read side by side (32)")
    parser.add_argument("--hidden", type=int, default=256, help="LSTM units (default 256)")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate (3e-3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--words", type=int, default=None, help="use only the first N words")
    args = parser.parse_args(argv)

    nn.seed(args.seed)
    words = load_words()[:args.words]
    train_words, test_words = train_val_test_split(words, (0.9, 0.1), seed=0)  # shuffled
    vocabulary = CharVocabulary.from_text(words, specials=(".",))
    train_ids = vocabulary.encode("." + ".".join(train_words) + ".")
    test_ids = vocabulary.encode("." + ".".join(test_words) + ".")
    rows = stream_rows(train_ids, args.batch)
    print_fn(f"{len(train_ids):,} training characters in {args.batch} rows of {rows.shape[1]:,}; "
             f"chunks of {args.bptt} steps")

    model = CharRNN(vocabulary, hidden_size=args.hidden)
    train(model, rows, args.steps, args.bptt, args.lr, print_fn=print_fn)
    bigram = BigramLanguageModel(len(vocabulary)).fit(train_ids[:-1], train_ids[1:])
    ours, baseline = stream_nll(model, test_ids), bigram.nll(test_ids[:-1], test_ids[1:])
    print_fn(f"held-out stream: {ours:.4f} nats per character (count-based bigram: "
             f"{baseline:.4f})")
    sample = sample_ids(model, [vocabulary.token_id(".")], 120, temperature=0.8, rng=args.seed)
    print_fn("sample: " + vocabulary.decode(list(sample)))
    return ours, baseline


if __name__ == "__main__":
    main()
