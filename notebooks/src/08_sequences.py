# %% [markdown]
# # 8. Sequences: from a hand-written RNN cell to a tiny GPT
#
# A language model reads text one character at a time and gives, at every step, a probability for
# each possible next character. Trained on a list of English words, it learns which letters follow
# which, and then it can *write*: draw a character, feed it back, draw the next one.
#
# This notebook builds such models four times, each one a step closer to the models behind modern
# language work, all in the same engine and all differentiated by the same `backward()`:
#
# 1. a recurrent cell written by hand from tensor operations, and its unrolled graph;
# 2. the same idea as a library layer, `nn.LSTM`;
# 3. attention, written out by hand and then as one op, with its heatmaps and a check that a
#    causal mask really hides the future;
# 4. a tiny GPT (`nn.models.GPT`), sampled before and after a short training.
#
# Every model is scored the same way: the mean negative log-likelihood of the next character on
# held-out words, in **nats per character**. Guessing uniformly among 27 tokens scores
# $\ln 27 \approx 3.30$; a table of letter-pair counts (the *bigram* baseline) is the bar to beat.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import autograd
import autograd.testing
import nn
from autograd import Tensor
from nn.attention_maps import attention_figure
from nn.data.text import BigramLanguageModel, CharVocabulary, load_words, train_val_test_split
from nn.models.gpt import GPT
from nn.models.language import IGNORED, mean_nll, next_token_loss, word_sequences
from nn.sampling import sample_ids

SMALL = os.environ.get("LUCIDGRAD_NOTEBOOK_BUDGET", "full") == "small"
STEPS = 150 if SMALL else 1500  # training steps per model
nn.seed(0)

# %% [markdown]
# ## The data: English words as sequences of characters
#
# `load_words()` reads the word list of the system's `wamerican` package. Each word becomes one
# training sequence: the input `.word` predicts the target `word.`, where `.` marks both the start
# and the end of a word. Words are padded to one length; the targets of padded steps are
# `IGNORED` and left out of the loss. We keep the words of up to 10 letters, so that every model
# below reads 11 steps.

# %%
words = [w for w in load_words() if len(w) <= 10]
train_words, val_words, _ = train_val_test_split(words, (0.8, 0.1, 0.1), seed=0)
if SMALL:
    train_words, val_words = train_words[:4000], val_words[:1000]
vocabulary = CharVocabulary.from_text(words, specials=(".",))
LENGTH = 11
x_train, y_train = word_sequences(train_words, vocabulary, length=LENGTH)
x_val, y_val = word_sequences(val_words, vocabulary, length=LENGTH)
V = len(vocabulary)
print(f"{len(train_words)} training words, {len(val_words)} validation words, {V} tokens: "
      f"{''.join(vocabulary.decode(range(V)))}")
print("input ", x_train[0], repr(vocabulary.decode(x_train[0])))
print("target", y_train[0], "(", IGNORED, "= ignored )")

# %% [markdown]
# The baseline: count how often each character follows each other one (plus one, so nothing has
# probability zero), and predict from those counts. It sees only the previous character.

# %%
mask_train, mask_val = y_train != IGNORED, y_val != IGNORED
bigram = BigramLanguageModel(V).fit(x_train, np.where(mask_train, y_train, 0), mask_train)
bigram_loss = bigram.nll(x_val, np.where(mask_val, y_val, 0), mask_val)
print(f"uniform guessing: {np.log(V):.3f} nats per character, bigram: {bigram_loss:.3f}")
print("bigram samples:", ", ".join(bigram.sample_words(vocabulary, 10, seed=0)))
rng = np.random.default_rng(0)


def batches(batch_size=64):
    """Endless random minibatches of the training sequences."""
    while True:
        rows = rng.integers(0, len(x_train), batch_size)
        yield x_train[rows], y_train[rows]


def train(model, parameters, steps=STEPS, lr=3e-3):
    """A plain loop: Adam on the next-character loss; returns the losses."""
    optimizer = nn.optim.Adam(parameters, lr=lr)
    losses = []
    for _, (x, y) in zip(range(steps), batches()):
        loss = next_token_loss(y, model(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# %% [markdown]
# ## 1. A recurrent cell by hand
#
# A recurrent network keeps a hidden state $h_t$, a vector that summarises what it has read. At
# each step it mixes the new character's embedding $x_t$ into it,
#
# $$h_t = \tanh(x_t W_x + h_{t-1} W_h + b), \qquad \text{logits}_t = h_t W_y + c,$$
#
# with the *same* weights at every step. Nothing more is needed than matrix products, a sum and a
# `tanh`: the engine records each step, so `backward()` runs *backpropagation through time*
# without being told.

# %%
class HandRNN(nn.Module):
    """An Elman RNN language model written with tensor ops; ``model(ids)`` gives (N, T, V)
    logits. ``nn.Module`` only collects the parameters (and gives ``parameters()``)."""

    def __init__(self, vocab_size, embed=16, hidden=64, seed=0):
        super().__init__()
        r = np.random.default_rng(seed)

        def weight(*shape, scale):
            return nn.Parameter((r.normal(size=shape) * scale).astype(np.float32))

        self.embedding = weight(vocab_size, embed, scale=1.0)
        self.W_x = weight(embed, hidden, scale=1 / np.sqrt(embed))
        self.W_h = weight(hidden, hidden, scale=1 / np.sqrt(hidden))
        self.b = weight(hidden, scale=0.0)
        self.W_y = weight(hidden, vocab_size, scale=1 / np.sqrt(hidden))
        self.c = weight(vocab_size, scale=0.0)
        self.hidden = hidden

    def forward(self, ids):
        ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        x = self.embedding[ids]  # (N, T, embed): indexing is differentiable too
        h = Tensor(np.zeros((ids.shape[0], self.hidden), np.float32))
        outputs = []
        for t in range(ids.shape[1]):
            h = (x[:, t] @ self.W_x + h @ self.W_h + self.b).tanh()
            outputs.append(h @ self.W_y + self.c)
        return autograd.stack(outputs, axis=1)


rnn = HandRNN(V)
print(f"before training: {mean_nll(rnn, x_val, y_val):.3f} nats per character")

# %% [markdown]
# The graph of the loss for one short word, `.ox` predicting `ox.`, shows the unrolling: three
# copies of the same step, each reading the hidden state of the one before, and the weights
# $W_x$, $W_h$ feeding every copy. Backpropagation through time is nothing but the backward pass
# over this graph; the gradients of $W_h$ from the three copies add up.

# %%
short_rnn = HandRNN(V, embed=3, hidden=4)
ids = vocabulary.encode(".ox.")
loss = next_token_loss(np.array([ids[1:]]), short_rnn(np.array([ids[:-1]])))
for name in ("embedding", "W_x", "W_h", "b", "W_y", "c"):
    getattr(short_rnn, name).name = name
loss.name = "loss"
loss.backward()
autograd.draw_graph(loss, show_data=False, show_grad=False, title="an RNN unrolled over 3 steps")

# %% [markdown]
# Now train it for a while with Adam.

# %%
start = time.perf_counter()
rnn_losses = train(rnn, rnn.parameters())
rnn_loss = mean_nll(rnn, x_val, y_val)
print(f"{len(rnn_losses)} steps in {time.perf_counter() - start:.1f} s; validation loss "
      f"{rnn_loss:.3f} nats per character (bigram: {bigram_loss:.3f})")

# %% [markdown]
# ## 2. The library layer: `nn.LSTM`
#
# A plain RNN forgets quickly: its gradient through many steps is a long product of `tanh`
# derivatives and $W_h$, and tends to vanish. The LSTM adds a *cell state* that the network
# changes only through gates (forget, input, output), so information and gradient can pass many
# steps almost unchanged. `nn.LSTM` is PyTorch's layer (same gates, same weight layout); with an
# embedding in front and a linear layer behind, it is a character model in a few lines.

# %%
class LSTMLanguageModel(nn.Module):
    def __init__(self, vocab_size, embed=16, hidden=64):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids):
        output, _ = self.lstm(self.embedding(ids))
        return self.head(output)


lstm = LSTMLanguageModel(V)
start = time.perf_counter()
lstm_losses = train(lstm, lstm.parameters())
lstm_loss = mean_nll(lstm, x_val, y_val)
print(f"{len(lstm_losses)} steps in {time.perf_counter() - start:.1f} s; validation loss "
      f"{lstm_loss:.3f} nats per character")

# %% [markdown]
# ## 3. Attention
#
# A recurrent model must squeeze everything it has read into one state vector. Attention instead
# lets every step look back at *all* earlier steps and take a weighted average of them. Each step
# $t$ sends a query $q_t$; each step $s$ offers a key $k_s$ and a value $v_s$ (all three are
# linear maps of the inputs). The weights are a softmax of the scaled dot products,
#
# $$\alpha_{ts} = \operatorname{softmax}_s\!\left(\frac{q_t \cdot k_s}{\sqrt{d}}\right),
# \qquad \text{out}_t = \sum_s \alpha_{ts}\, v_s,$$
#
# and for a language model step $t$ must not see the characters it is to predict, so the scores
# of later steps $s > t$ are set to $-\infty$ before the softmax (a *causal* mask). By hand, with
# `triu` for the mask and `masked_fill` to apply it:

# %%
T, d = 6, 8
r = np.random.default_rng(1)
q, k, v = (Tensor(r.normal(size=(T, d)), requires_grad=True) for _ in range(3))

future = np.triu(np.ones((T, T), dtype=bool), k=1)  # True above the diagonal: s > t
scores = (q @ k.T) / np.sqrt(d)
weights = autograd.masked_fill(scores, future, -np.inf).softmax(axis=-1)
by_hand = weights @ v
fused = autograd.scaled_dot_product_attention(q, k, v, causal=True)
print("by hand vs scaled_dot_product_attention:", np.abs(by_hand.data - fused.data).max())
print(np.round(weights.data, 2))

# %% [markdown]
# **Does the mask really hide the future?** Ask the gradient: the output at step $t$ must not
# change when the inputs of later steps change, so its gradient with respect to them must be
# exactly zero, not just small.

# %%
x = Tensor(r.normal(size=(T, d)), requires_grad=True)
out = autograd.scaled_dot_product_attention(x, x, x, causal=True)
for t in range(T):
    (g,) = autograd.gradients(out[t].sum(), [x], retain_graph=True)
    print(f"step {t}: |d out_t / d x_s| for s = 0..{T - 1}:",
          " ".join(f"{value:5.2f}" for value in np.abs(g).sum(axis=1)))

# %% [markdown]
# The engine's attention is one op with its own derivative, checked against finite differences
# like every other op (to second order; here in float64):

# %%
q64, k64, v64 = (r.normal(size=(2, 4, 3)) for _ in range(3))
autograd.testing.check_gradients(
    lambda q, k, v: autograd.scaled_dot_product_attention(q, k, v, causal=True),
    q64, k64, v64, order=2)
print("first and second derivatives agree with finite differences")

# %% [markdown]
# ## 4. A tiny GPT
#
# A GPT stacks *blocks*. Each one adds to its input (the residual stream) the result of causal
# self-attention over a layer-normalised copy, then the result of a small two-layer network
# applied at every step. Token embeddings plus position embeddings go in (attention alone does not
# know the order of the steps); a linear layer tied to the token embedding maps the last stream to
# logits. `nn.models.GPT` is that model, made of `nn.LayerNorm`, `nn.MultiheadAttention` and
# `nn.TransformerEncoderLayer`. Ours is tiny: 2 blocks of 4 heads, 64 wide.

# %%
nn.seed(0)
gpt = GPT(V, context_length=LENGTH, num_layers=2, num_heads=4, embed_dim=64,
          vocabulary=vocabulary, boundary=".")
print(gpt)
print(f"{sum(p.size for p in gpt.parameters()):,} parameters")


def sample_words(model, count=12, seed=0):
    """``count`` words sampled from ``model``, each started by the boundary and ended by it."""
    start = vocabulary.encode(".")
    found = []
    for i in range(count):
        ids = list(sample_ids(model, start, LENGTH - 1, rng=seed + i, stop=start[0]))
        found.append(vocabulary.decode(ids).rstrip("."))
    return found


print("before training:", ", ".join(sample_words(gpt)))

# %% [markdown]
# One block, drawn with `model=` so that the ops gather into clusters named after the modules
# that ran them (`depth=1` folds each sub-module into one box; raise it to see inside):

# %%
block_input = Tensor(r.normal(size=(1, 4, 64)).astype(np.float32))
autograd.draw_graph(gpt.blocks[0](block_input, is_causal=True), model=gpt.blocks[0], depth=1,
                    show_data=False, title="one GPT block")

# %% [markdown]
# Train it with AdamW, with the same loop as before:

# %%
start = time.perf_counter()
gpt_losses = train(gpt, gpt.parameters(), lr=2e-3)
gpt_loss = mean_nll(gpt, x_val, y_val)
print(f"{len(gpt_losses)} steps in {time.perf_counter() - start:.1f} s; validation loss "
      f"{gpt_loss:.3f} nats per character")
print("after training: ", ", ".join(sample_words(gpt)))

plt.figure(figsize=(6, 3.5))
for name, losses in (("hand-written RNN", rnn_losses), ("nn.LSTM", lstm_losses),
                     ("tiny GPT", gpt_losses)):
    plt.plot(np.convolve(losses, np.ones(10) / 10, mode="valid"), label=name)
plt.axhline(bigram_loss, color="grey", linestyle="--", label="bigram (validation)")
plt.xlabel("step")
plt.ylabel("training loss, nats per character")
plt.legend()
plt.show()

# %% [markdown]
# ### What the heads look at
#
# `gpt.attention_maps(ids)` returns every block's attention weights, one (heads, T, T) array per
# block; row $t$ is what step $t$ looked at. The causal triangle is there by construction. After
# training, some heads typically put most of their weight on the step just before (the previous
# letter, the bigram's information), others spread it over the whole word so far. With a short
# training the patterns are still faint; the full-budget run shows them more clearly.

# %%
word = ".understand"
maps = gpt.attention_maps(np.array(vocabulary.encode(word)))
for layer, weights in enumerate(maps):
    figure = attention_figure(weights, queries=list(word), title=f"block {layer}")
    display(figure)

# %% [markdown]
# ## Where this leaves us
#
# The validation losses of this run, side by side:

# %%
for name, value in (("uniform", np.log(V)), ("bigram", bigram_loss), ("hand-written RNN", rnn_loss),
                    ("nn.LSTM", lstm_loss), ("tiny GPT", gpt_loss)):
    print(f"{name:>17}: {value:.3f}")

# %% [markdown]
# A few hundred steps of training already take each model past the bigram, because each one sees
# more than the previous letter; on the small budget of a test run the margins are thin. Trained
# for longer on the whole word list (`lucidgrad train --dataset words --model lstm` or
# `--model gpt`, then `lucidgrad generate --model runs/words-gpt/model.npz`), the LSTM and the GPT
# go much further below the bigram, and their words start to look English; the README lists the
# measured losses and samples of both.
