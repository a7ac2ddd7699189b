# %% [markdown]
# # 5. Optimizers and regularization
#
# Two choices shape every training run besides the model itself: *how* the weights move downhill
# (the optimizer and its learning rate) and *what keeps them from memorising* the training set
# (regularization). This notebook looks at both, with pictures:
#
# 1. the update rules of SGD, momentum, Nesterov, RMSProp and Adam, checked against `nn.optim`;
# 2. their paths on a 2-D valley, where the differences are easy to see;
# 3. the same optimizers training a small network, loss curves on one plot;
# 4. learning-rate schedules;
# 5. regularization (L1, L2, Elastic Net, dropout, batch normalization) on a network that
#    overfits: training vs validation curves, and what each penalty does to the weights.
#
# Run it from the repository root (or after `pip install -e .`). Part 5 reads MNIST from
# `$LUCIDGRAD_DATA/mnist/` or the download cache. `LUCIDGRAD_NOTEBOOK_BUDGET=small` shortens every
# run so the notebook finishes in seconds; the effects are clearer with the full budget.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd
import nn
from autograd import Tensor
from nn import BatchNormalization, Dense, Dropout, ReLU, Sequential, optim
from nn.data import batches, make_spirals, to_categorical
from nn.regularizers import L1, L1L2, L2

SMALL = os.environ.get("LUCIDGRAD_NOTEBOOK_BUDGET", "full") == "small"
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Five update rules
#
# Write $g_t$ for the gradient of the loss at step $t$ and $\eta$ for the learning rate. Every
# optimizer turns the sequence of gradients into a sequence of steps; they differ in what they
# remember.
#
# **SGD** (plain gradient descent on a mini-batch): $\quad w \leftarrow w - \eta\, g_t$.
#
# **Momentum** keeps a velocity, a running sum of past gradients, so that steps in a consistent
# direction build up speed and steps that flip sign cancel out. The tutorials write it as
#
# $$v \leftarrow \gamma v + \eta g_t, \qquad w \leftarrow w - v.$$
#
# `nn.optim.SGD(momentum=μ)` uses PyTorch's form, $v \leftarrow \mu v + g_t,\ w \leftarrow w - \eta v$.
# While $\eta$ is constant the two are the same trajectory (the tutorial's $v$ is $\eta$ times ours);
# they differ only in how a *changed* learning rate affects the velocity already built up.
#
# **Nesterov momentum** uses the velocity it is about to have: $v \leftarrow \mu v + g_t$, then
# $w \leftarrow w - \eta\,(g_t + \mu v)$. It reacts a step earlier when the velocity overshoots.
#
# **RMSProp** divides each coordinate of the gradient by a running root-mean-square of its recent
# values, so steep and flat directions get steps of similar size:
#
# $$s \leftarrow \rho s + (1 - \rho)\, g_t^2, \qquad w \leftarrow w - \eta\, \frac{g_t}{\sqrt{s} + \epsilon}.$$
#
# **Adam** combines both ideas: a running mean $m$ of the gradient (momentum) and a running mean
# $v$ of its square (RMSProp). Both start at zero, which biases them towards zero in the first
# steps; dividing by $1 - \beta^t$ removes that bias:
#
# $$m \leftarrow \beta_1 m + (1 - \beta_1) g_t, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g_t^2, \quad
# \hat m = \frac{m}{1 - \beta_1^t}, \quad \hat v = \frac{v}{1 - \beta_2^t}, \quad
# w \leftarrow w - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}.$$
#
# (Squares, roots and divisions act element by element.) These are the formulas in the docstrings
# of `nn.optim.SGD`, `nn.optim.RMSprop` and `nn.optim.Adam`, with the Keras defaults
# $\rho = 0.9$, $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-7}$. The docstring is a claim;
# here is the check. Each rule is written again below in numpy, straight from the math (the
# momentum rule in the tutorials' form), and run side by side with `nn.optim` on a small
# least-squares problem:

# %%
rng = np.random.default_rng(0)
A, b = rng.normal(size=(20, 5)), rng.normal(size=20)


def least_squares(w):
    """Mean squared residual of A w = b (works on numpy arrays and on Tensors)."""
    r = A @ w - b
    return (r * r).mean()


def least_squares_grad(w):
    return 2 * A.T @ (A @ w - b) / len(b)


def sgd(w, g, s, t, lr):
    return w - lr * g

def momentum(w, g, s, t, lr, gamma=0.9):          # tutorial form
    s["v"] = gamma * s.get("v", 0) + lr * g
    return w - s["v"]

def nesterov(w, g, s, t, lr, mu=0.9):
    s["v"] = mu * s.get("v", 0) + g
    return w - lr * (g + mu * s["v"])

def rmsprop(w, g, s, t, lr, rho=0.9, eps=1e-7):
    s["s"] = rho * s.get("s", 0) + (1 - rho) * g**2
    return w - lr * g / (np.sqrt(s["s"]) + eps)

def adam(w, g, s, t, lr, beta1=0.9, beta2=0.999, eps=1e-7):
    s["m"] = beta1 * s.get("m", 0) + (1 - beta1) * g
    s["v"] = beta2 * s.get("v", 0) + (1 - beta2) * g**2
    m_hat, v_hat = s["m"] / (1 - beta1**t), s["v"] / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps)


def with_numpy(rule, lr, steps=30):
    w, state = np.zeros(5), {}
    for t in range(1, steps + 1):
        w = rule(w, least_squares_grad(w), state, t, lr)
    return w


def with_nn_optim(make_optimizer, steps=30):
    w = nn.Parameter(np.zeros(5))        # float64, so the comparison is exact to ~1e-15
    optimizer = make_optimizer([w])
    for _ in range(steps):
        optimizer.zero_grad()
        least_squares(w).backward()
        optimizer.step()
    return w.data


checks = {
    "SGD":      (sgd, lambda ps: optim.SGD(ps, lr=0.05)),
    "Momentum": (momentum, lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9)),
    "Nesterov": (nesterov, lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)),
    "RMSProp":  (rmsprop, lambda ps: optim.RMSprop(ps, lr=0.05)),
    "Adam":     (adam, lambda ps: optim.Adam(ps, lr=0.05)),
}
for name, (rule, make_optimizer) in checks.items():
    ours, theirs = with_numpy(rule, lr=0.05), with_nn_optim(make_optimizer)
    print(f"{name:9s} loss after 30 steps {least_squares(ours):.5f}   "
          f"max |numpy - nn.optim| = {np.abs(ours - theirs).max():.1e}")

# %% [markdown]
# Differences at the level of float64 rounding: each optimizer does what its formula says. (Inside,
# `nn.optim` folds constant factors together to save passes over memory, so the last digits may
# differ.) Note how differently the five rules fare with the *same* learning rate on the same
# problem; a fair comparison has to tune the learning rate per optimizer, as we do in part 3.
#
# ## 2. Paths in a narrow valley
#
# A quadratic bowl that is 20 times steeper in one direction than in the other,
#
# $$f(x, y) = 0.05\, x^2 + y^2,$$
#
# is the simplest picture of an ill-conditioned problem: the gradient points mostly across the
# valley, not along it. Any tensor with `.data` and `.grad` can be optimized, so a `Parameter` of
# two numbers is all we need. Each optimizer starts at $(-9, 2)$ and takes 60 steps.

# %%
def valley(p):
    return 0.05 * p[0] ** 2 + p[1] ** 2


def trajectory(make_optimizer, steps=60, start=(-9.0, 2.0)):
    """The points visited while minimising ``valley`` from ``start``."""
    p = nn.Parameter(np.array(start))
    optimizer = make_optimizer([p])
    points = [p.data.copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        valley(p).backward()
        optimizer.step()
        points.append(p.data.copy())
    return np.array(points)


valley_runs = {
    "SGD, lr=0.9":                 lambda ps: optim.SGD(ps, lr=0.9),
    "Momentum 0.6, lr=0.4":        lambda ps: optim.SGD(ps, lr=0.4, momentum=0.6),
    "Nesterov 0.6, lr=0.4":        lambda ps: optim.SGD(ps, lr=0.4, momentum=0.6, nesterov=True),
    "RMSProp, lr=0.3":             lambda ps: optim.RMSprop(ps, lr=0.3),
    "Adam, lr=0.5":                lambda ps: optim.Adam(ps, lr=0.5),
}
paths = {name: trajectory(make) for name, make in valley_runs.items()}

xs, ys = np.meshgrid(np.linspace(-10, 3, 200), np.linspace(-2.5, 2.5, 200))
fig, axes = plt.subplots(2, 3, figsize=(13, 6))
for ax, (name, points) in zip(axes.flat, paths.items()):
    ax.contour(xs, ys, 0.05 * xs**2 + ys**2, levels=np.logspace(-2, 1.3, 10), cmap="Greys")
    ax.plot(points[:, 0], points[:, 1], ".-", color="tab:red", markersize=4, linewidth=1)
    ax.plot(0, 0, "k*", markersize=10)
    ax.set_title(name)
ax = axes.flat[-1]
for name, points in paths.items():
    ax.semilogy(valley(points.T), label=name.split(",")[0])
ax.set_xlabel("step")
ax.set_title("f along the path")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# What to notice:
#
# * **SGD** needs a learning rate below $1$ here (the steep direction has curvature 2, and
#   $\eta > 2/2$ diverges), so it zigzags across the valley and crawls along it: each step shrinks
#   $x$ by only $1 - 0.1\,\eta$.
# * **Momentum** and **Nesterov** take smaller steps but accumulate speed along the valley floor,
#   where the gradient keeps its sign, while the zigzag across it cancels out. Nesterov damps the
#   overshoot a little sooner.
# * **RMSProp** and **Adam** divide by the gradient's typical size, so they start out moving
#   diagonally, about $\eta$ in *each* coordinate, whatever the curvature. That is why they need no
#   tuning per direction, and also why they keep taking steps of roughly $\eta$ near the minimum:
#   Adam's momentum carries it past and around the minimum, and RMSProp bounces once the gradient
#   becomes tiny. A learning rate that decays over time (part 4) fixes that.
#
# ## 3. The same optimizers on a real network
#
# Three interleaved spirals in the plane, a multilayer perceptron with two hidden layers of 64 ReLU
# units, mini-batches of 32 and the cross-entropy loss. Each optimizer gets a few learning rates
# and we keep the best (lowest final training loss) for the plot: comparing optimizers at one
# shared learning rate would mostly measure which one that rate happens to suit.

# %%
x_spiral, y_spiral = make_spirals(600, n_classes=3, noise=0.05, seed=0)
x_spiral = x_spiral.astype(np.float32)

plt.figure(figsize=(3.5, 3.5))
plt.scatter(x_spiral[:, 0], x_spiral[:, 1], c=y_spiral, cmap="brg", s=8)
plt.title("three spirals (600 points)")
plt.axis("equal")
plt.show()


def spiral_network():
    return Sequential([nn.Linear(2, 64), ReLU(), nn.Linear(64, 64), ReLU(), nn.Linear(64, 3)])


def train_spirals(make_optimizer, epochs, schedule=None, seed=0):
    """Train a fresh network; returns the mean training loss of every epoch (and the network)."""
    nn.seed(seed)
    model = spiral_network()
    optimizer = make_optimizer(model.parameters())
    lr_schedule = schedule(optimizer) if schedule else None
    loss_fn = nn.losses.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for x_batch, y_batch in batches(x_spiral, y_spiral, batch_size=32, shuffle=True, seed=epoch):
            loss = loss_fn(model(Tensor(x_batch)), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.data) * len(x_batch)
        losses.append(total / len(x_spiral))
        if lr_schedule:
            lr_schedule.step()
    return losses, model


SPIRAL_EPOCHS = 25 if SMALL else 100
learning_rates = {
    "SGD":      [0.03, 0.1, 0.3, 1.0],
    "Momentum": [0.003, 0.01, 0.03, 0.1],
    "Nesterov": [0.003, 0.01, 0.03, 0.1],
    "RMSProp":  [0.001, 0.003, 0.01, 0.03],
    "Adam":     [0.001, 0.003, 0.01, 0.03],
}
if SMALL:   # two rates each, around the best ones
    learning_rates = {name: rates[1:3] for name, rates in learning_rates.items()}
make = {
    "SGD":      lambda lr: lambda ps: optim.SGD(ps, lr=lr),
    "Momentum": lambda lr: lambda ps: optim.SGD(ps, lr=lr, momentum=0.9),
    "Nesterov": lambda lr: lambda ps: optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True),
    "RMSProp":  lambda lr: lambda ps: optim.RMSprop(ps, lr=lr),
    "Adam":     lambda lr: lambda ps: optim.Adam(ps, lr=lr),
}

start = time.perf_counter()
best = {}
for name, rates in learning_rates.items():
    finals = []
    for lr in rates:
        losses, _ = train_spirals(make[name](lr), SPIRAL_EPOCHS)
        finals.append(losses[-1])
        if np.isfinite(losses[-1]) and (name not in best or losses[-1] < best[name][1][-1]):
            best[name] = (lr, losses)
    print(f"{name:9s} final loss per lr: " + ", ".join(f"{lr:g}: {f:.3f}" for lr, f in zip(rates, finals)))
print(f"({time.perf_counter() - start:.0f} s)")

plt.figure(figsize=(7, 4))
for name, (lr, losses) in best.items():
    plt.semilogy(np.arange(1, len(losses) + 1), losses, label=f"{name} (lr={lr:g})")
plt.xlabel("epoch")
plt.ylabel("training loss (cross-entropy)")
plt.title("each optimizer at its best learning rate")
plt.legend()
plt.grid(alpha=0.3, which="both")
plt.show()

# %% [markdown]
# What to notice:
#
# * Adam, and to a lesser degree RMSProp, get going faster: they make sizeable steps from the
#   first epoch, in every direction. Given enough epochs, well-tuned SGD (with or without
#   momentum) gets close, and on many problems it generalises as well or better; that is why both
#   families are still in use.
# * With momentum $\mu = 0.9$ the velocity sums about $1/(1 - \mu) = 10$ gradients, so the best
#   learning rate for momentum and Nesterov is about ten times smaller than plain SGD's, and the
#   three then behave much alike. Momentum mostly buys robustness, not magic.
# * These are single runs with one seed. Change `seed` in `train_spirals` and the ranking of
#   close curves can change; only large, consistent gaps mean something.
#
# ## 4. Learning-rate schedules
#
# A schedule changes `optimizer.lr` as training goes on: large steps early to make progress, small
# steps late to settle into a minimum instead of bouncing around it (the problem we saw with
# RMSProp and Adam in the valley). `nn.optim` has the common ones. Each is attached to an optimizer
# and its `step()` is called once per epoch (or per batch, with `interval='step'`):

# %%
def lr_curve(make_schedule, epochs=60, lr=0.1):
    optimizer = optim.SGD(lr=lr)                   # no parameters needed to watch the lr
    schedule = make_schedule(optimizer)
    values = [optimizer.lr]
    for _ in range(epochs):
        values.append(schedule.step())
    return values


schedules = {
    "StepDecay(step_size=20, gamma=0.5)": lambda o: optim.StepDecay(o, step_size=20, gamma=0.5),
    "ExponentialDecay(gamma=0.95)":       lambda o: optim.ExponentialDecay(o, gamma=0.95),
    "CosineDecay(total_steps=60)":        lambda o: optim.CosineDecay(o, total_steps=60),
    "LinearWarmup(5, then CosineDecay)":  lambda o: optim.LinearWarmup(
        o, warmup_steps=5, after=optim.CosineDecay(o, total_steps=55)),
}
plt.figure(figsize=(7, 3.5))
for name, make_schedule in schedules.items():
    plt.plot(lr_curve(make_schedule), label=name)
plt.xlabel("epoch")
plt.ylabel("learning rate")
plt.legend(fontsize=8)
plt.grid(alpha=0.3)
plt.show()

# %% [markdown]
# `ReduceLROnPlateau` is different: it watches a number you pass to `step(val_loss)` and cuts the
# rate when that number stops improving. Here is the effect of a cosine decay on Adam with a
# deliberately large learning rate, on the spirals again:

# %%
constant, _ = train_spirals(lambda ps: optim.Adam(ps, lr=0.03), SPIRAL_EPOCHS)
decayed, _ = train_spirals(lambda ps: optim.Adam(ps, lr=0.03), SPIRAL_EPOCHS,
                           schedule=lambda o: optim.CosineDecay(o, total_steps=SPIRAL_EPOCHS))
plt.figure(figsize=(6, 3.5))
plt.semilogy(constant, label="Adam, lr = 0.03 constant")
plt.semilogy(decayed, label="Adam, lr = 0.03 with cosine decay")
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.legend()
plt.grid(alpha=0.3, which="both")
plt.show()
print(f"final loss: constant {constant[-1]:.4f}, cosine decay {decayed[-1]:.4f}")

# %% [markdown]
# With a constant rate the loss keeps jumping up and down; as the decayed rate shrinks, the curve
# smooths out and settles lower.
#
# ## 5. Regularization
#
# A network with far more weights than training examples can memorise its training set: the
# training loss goes to zero while the loss on new data stops improving and then gets *worse*.
# Regularization trades a little training fit for better behaviour on new data. The variants we
# compare:
#
# * **L2** (`kernel_regularizer=L2(λ)`) adds $\lambda \sum w^2$ to the loss (Keras's convention,
#   no factor ½). Its gradient $2\lambda w$ pulls every weight towards zero in proportion to its
#   size ("weight decay"): large weights shrink fast, small ones barely move.
# * **L1** (`L1(λ)`) adds $\lambda \sum |w|$. Its gradient $\lambda\, \mathrm{sign}(w)$ pulls with the
#   same force whatever the size, so weights the data does not defend are driven all the way to
#   (about) zero: L1 makes the network **sparse**.
# * **Elastic Net** (`L1L2(l1, l2)`) adds both penalties.
# * **Dropout** (`Dropout(0.5)` after each hidden layer) zeroes each hidden activation with
#   probability 0.5 during training and doubles the survivors, so no unit can rely on any
#   particular other unit. At inference it does nothing.
# * **Batch normalization** (`BatchNormalization()` between each `Dense` layer and its ReLU)
#   rescales every unit to zero mean and unit variance over the batch, then applies a learned
#   scale and shift. It mainly makes training faster and steadier; the noise of batch statistics
#   regularizes a little as well. At inference it uses running averages of the statistics,
#   updated as `average = momentum * average + (1 - momentum) * batch_value`. Keras's default
#   momentum of 0.99 averages over about 100 steps; our runs are short (16 steps per epoch), so we
#   use 0.9, or the averages would still be close to their initial values when we validate.
#
# The setup overfits on purpose: a 784-512-512-10 network (about 670,000 weights) trained on only
# 1,000 MNIST digits, validated on 1,000 others, with Adam for 50 epochs. (The small budget trains
# a 128-unit network on 256 digits for 10 epochs: enough to run every cell, too little to show
# the effects.)

# %%
(train_images, train_labels), _ = nn.data.load_mnist()
N_FIT, N_VAL = (256, 256) if SMALL else (1000, 1000)
HIDDEN = 128 if SMALL else 512
REG_EPOCHS = 10 if SMALL else 50
REG_BATCH = 128 if SMALL else 64

pixels = train_images.reshape(-1, 28 * 28).astype("float32") / 255
x_fit, y_fit = pixels[:N_FIT], to_categorical(train_labels[:N_FIT], 10)
x_val, y_val = pixels[-N_VAL:], to_categorical(train_labels[-N_VAL:], 10)


def mlp(regularizer=None, dropout=0.0, batchnorm=False):
    """784 -> HIDDEN -> HIDDEN -> 10 with the given regularization."""
    layers = []
    for i in range(2):
        size = {"input_shape": (28 * 28,)} if i == 0 else {}
        if batchnorm:
            layers += [Dense(HIDDEN, kernel_regularizer=regularizer, **size),
                       BatchNormalization(momentum=0.9), ReLU()]
        else:
            layers.append(Dense(HIDDEN, activation="relu", kernel_regularizer=regularizer, **size))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(10, activation="softmax", kernel_regularizer=regularizer))
    return Sequential(layers)


def crossentropy(y_true, y_pred):
    """Per-sample cross-entropy, logged as a metric: the data loss without any penalty."""
    return -(y_true * np.log(np.clip(y_pred, 1e-7, 1.0))).sum(axis=-1)


variants = {
    "no regularization":   {},
    "L2(1e-3)":            {"regularizer": L2(1e-3)},
    "L1(1e-4)":            {"regularizer": L1(1e-4)},
    "L1L2(3e-5, 1e-3)":    {"regularizer": L1L2(l1=3e-5, l2=1e-3)},
    "Dropout(0.5)":        {"dropout": 0.5},
    "BatchNormalization":  {"batchnorm": True},
}
histories, models = {}, {}
start = time.perf_counter()
for name, options in variants.items():
    nn.seed(0)                           # the same initial weights for every variant
    model = mlp(**options)
    model.compile(optimizer=optim.Adam(lr=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy", crossentropy])
    histories[name] = model.fit(x_fit, y_fit, epochs=REG_EPOCHS, batch_size=REG_BATCH,
                                validation_data=(x_val, y_val), verbose=0, seed=0).history
    models[name] = model
print(f"trained {len(variants)} networks in {time.perf_counter() - start:.0f} s")

# %% [markdown]
# The loss that `fit` reports includes the penalty ($\lambda \sum w^2$ and so on), so it is not
# comparable across variants. The `crossentropy` metric above logs the pure data loss instead, for
# training and validation alike:

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True, sharey=True)
for ax, (name, h) in zip(axes.flat, histories.items()):
    epochs = np.arange(1, len(h["crossentropy"]) + 1)
    ax.semilogy(epochs, h["crossentropy"], label="training")
    ax.semilogy(epochs, h["val_crossentropy"], label="validation")
    ax.set_title(f"{name}\nval accuracy {h['val_accuracy'][-1]:.1%}", fontsize=10)
    ax.grid(alpha=0.3, which="both")
for ax in axes[1]:
    ax.set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("cross-entropy")
axes.flat[0].legend()
plt.tight_layout()
plt.show()

plt.figure(figsize=(7, 4))
for name, h in histories.items():
    plt.plot(np.arange(1, len(h["val_crossentropy"]) + 1), h["val_crossentropy"], label=name)
plt.xlabel("epoch")
plt.ylabel("validation cross-entropy")
plt.title("validation loss of every variant")
plt.legend(fontsize=8)
plt.grid(alpha=0.3)
plt.show()


def near_zero(model, threshold=1e-3):
    """Fraction of the first layer's weights with |w| < threshold."""
    return float(np.mean(np.abs(model[0].kernel.data) < threshold))


print(f"{'variant':20s} {'train acc':>9s} {'val acc':>8s} {'val loss':>9s} {'best val loss':>14s}"
      f" {'|w| < 1e-3':>11s}")
for name, h in histories.items():
    print(f"{name:20s} {h['accuracy'][-1]:9.1%} {h['val_accuracy'][-1]:8.1%} "
          f"{h['val_crossentropy'][-1]:9.3f} {min(h['val_crossentropy']):14.3f} "
          f"{near_zero(models[name]):11.1%}")
lowest = min(histories, key=lambda name: histories[name]["val_crossentropy"][-1])
most_accurate = max(histories, key=lambda name: histories[name]["val_accuracy"][-1])
print(f"\nlowest final validation loss: {lowest}; highest validation accuracy: {most_accurate}")

# %% [markdown]
# What to notice (the full budget shows it best):
#
# * Without regularization the training loss plunges towards zero: the network has memorised the
#   1,000 digits. The validation loss bottoms out after a few epochs and then slowly *rises*, even
#   though the validation accuracy hardly moves: the network grows more and more confident, and
#   its confident mistakes cost more and more.
# * The weight penalties keep the training loss from collapsing (a network with small weights
#   cannot be arbitrarily confident) and keep the validation loss from climbing. Dropout's
#   training curve is measured with dropout switched on (as Keras does) and falls more slowly
#   than the unregularized one; dropout delays the overfitting rather than preventing it.
# * Batch normalization changes the training dynamics most of all; in our full-budget runs it
#   reached the lowest validation loss.
# * Accuracy differences are small, a point or two. With so few examples the data, not the
#   regularizer, limits what the network can learn; regularization mostly stops it from getting
#   worse with more training. (Early stopping, keeping the weights of the best validation epoch, is
#   the other classic cure.)
#
# ### What the penalties do to the weights
#
# The last column above already shows it: with L1 most first-layer weights end up near zero. The
# histograms of the first layer's weights make the difference between the penalties visible, and
# the mean $|w|$ of the weights leaving each input pixel, drawn as a 28×28 image, shows *which*
# weights L1 removed.

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 6), sharex=True)
bins = np.linspace(-0.15, 0.15, 61)
for ax, (name, model) in zip(axes.flat, models.items()):
    ax.hist(model[0].kernel.data.ravel(), bins=bins, color="tab:blue")
    ax.set_yscale("log")
    ax.set_title(f"{name}: {near_zero(model):.0%} of |w| < 1e-3", fontsize=10)
for ax in axes[1]:
    ax.set_xlabel("first-layer weight")
plt.tight_layout()
plt.show()

shown = ["no regularization", "L2(1e-3)", "L1(1e-4)", "L1L2(3e-5, 1e-3)"]
fig, axes = plt.subplots(1, len(shown), figsize=(12, 3.2))
for ax, name in zip(axes, shown):
    strength = np.abs(models[name][0].kernel.data).mean(axis=1).reshape(28, 28)
    image = ax.imshow(strength, cmap="magma")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(name, fontsize=10)
    ax.axis("off")
fig.suptitle("mean |w| of the weights leaving each input pixel")
plt.tight_layout()
plt.show()

# %% [markdown]
# * Without a penalty the weights stay spread out: the flat top of the histogram is the uniform
#   random initialization (Glorot, about ±0.07), widened by training. The map is the same
#   everywhere, border included: a pixel that is blank in every training image never produces a
#   gradient for its weights, so nothing ever moves them from their random start.
# * L2 shrinks everything, and leaves a smooth bell of small weights around the spike at zero.
#   The spike is the weights of unused and rarely used pixels (see the printout below). With
#   plain SGD a weight that only feels the penalty shrinks by a factor $1 - 2\lambda\eta$ per step,
#   which takes forever; Adam divides that tiny gradient by its own size and turns it into
#   full-size steps, so those weights reach zero within a few hundred steps. (This entanglement of
#   L2 with Adam's rescaling is what `AdamW`'s decoupled weight decay avoids.)
# * L1 produces the characteristic spike at zero: most weights are (numerically) zero and the
#   survivors sit in the centre of the image, where the strokes of the digits are. A plain
#   gradient step cannot land exactly on 0, so the "zeros" hover within about one learning rate
#   of it; methods built for sparsity (proximal steps) would set them to exactly 0.
# * Elastic Net sits in between: L1's sparsity with L2's shrinking of the survivors.

# %%
blank = np.mean(x_fit.max(axis=0) == 0)
print(f"pixels blank in all {N_FIT} training images: {blank:.0%} of the first layer's inputs")
for name in shown:
    print(f"{name:20s} first-layer weights with |w| < 1e-3: {near_zero(models[name]):.0%}")

# %% [markdown]
# ## Summary
#
# * Every optimizer here is a few lines of arithmetic on the gradient; what differs is the memory
#   (velocity, squared-gradient average) they keep. The learning rate matters more than the
#   choice between them, so tune it per optimizer, and decay it for the final stretch.
# * Regularization is about the gap between training and validation curves. L2 shrinks weights,
#   L1 zeroes them, dropout adds noise, batch normalization steadies training; look at the
#   validation loss, not only the accuracy, to see the effect.
