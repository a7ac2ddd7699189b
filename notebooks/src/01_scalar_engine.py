# %% [markdown]
# # 1. The scalar engine: the chain rule, `Value` and `backward()`
#
# A neural network is a long formula. Training it means nudging every weight a little in the
# direction that lowers the loss, and for that we need the derivative of the loss with respect to
# every weight. This notebook builds that idea from the ground up with `autograd.Value`, a single
# number that remembers how it was computed:
#
# 1. derivatives of a tiny expression by hand, then the same numbers from `backward()`;
# 2. pictures of the graph before and after the backward pass;
# 3. why the backward walk must not be recursive (a chain of 100,000 operations);
# 4. reusing a value, and why gradients accumulate (and must be zeroed);
# 5. a neuron, then a small network trained on the two-moons data set;
# 6. the classic hand-written backpropagation bug, and how `gradcheck` exposes it.
#
# Run it from the repository root (or after `pip install -e .`). The environment variable
# `LUCIDGRAD_NOTEBOOK_BUDGET=small` shrinks the training runs so the notebook finishes in seconds.

# %%
import os
import random
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd
from autograd import Value

SMALL = os.environ.get("LUCIDGRAD_NOTEBOOK_BUDGET", "full") == "small"

# %% [markdown]
# ## 1. The chain rule by hand
#
# Take four numbers and combine them:
#
# $$e = a \cdot b, \qquad d = e + c, \qquad L = d \cdot f.$$
#
# How much does $L$ change when we wiggle $a$? The chain rule says: multiply the local derivatives
# along the path from $a$ to $L$. Walking backwards from the output,
#
# * $\partial L/\partial d = f$ and $\partial L/\partial f = d$ (the two sides of a product swap);
# * $\partial L/\partial e = \partial L/\partial d \cdot 1$ and likewise for $c$ (a sum passes the
#   gradient through unchanged);
# * $\partial L/\partial a = \partial L/\partial e \cdot b$ and
#   $\partial L/\partial b = \partial L/\partial e \cdot a$.

# %%
a, b, c, f = 2.0, -3.0, 10.0, -2.0
e = a * b
d = e + c
L = d * f

dL_dd, dL_df = f, d
dL_de = dL_dc = dL_dd * 1.0
dL_da, dL_db = dL_de * b, dL_de * a
print(f"L = {L}")
print(f"by hand: dL/da = {dL_da}, dL/db = {dL_db}, dL/dc = {dL_dc}, dL/df = {dL_df}")

# %% [markdown]
# A derivative is a rate of change, so we can also *measure* it: nudge `a` by a tiny `h` and see
# how far `L` moves. This finite difference is slow (one extra evaluation per input) and
# imprecise, but it needs no calculus, which makes it the referee for every gradient below.

# %%
def expression(a, b, c, f):
    return (a * b + c) * f


h = 1e-6
numeric = (expression(a + h, b, c, f) - expression(a - h, b, c, f)) / (2 * h)
print(f"finite difference: dL/da ~ {numeric:.6f}")

# %% [markdown]
# ## 2. The same numbers from `Value.backward()`
#
# A `Value` wraps a float. Every arithmetic operation on Values returns a new Value that records
# the operation and its operands, so the expression leaves a graph behind. `backward()` walks
# that graph from the output to the inputs and applies exactly the rules we used by hand, storing
# $\partial L / \partial x$ in each input's `.grad`.
#
# Interior values (here `e`, `d` and `L`) normally forget their gradient once it has been passed
# on; `retain_grad()` asks them to keep it, so we can see it in the drawing.

# %%
a = Value(2.0, name="a")
b = Value(-3.0, name="b")
c = Value(10.0, name="c")
f = Value(-2.0, name="f")
e = a * b
e.name = "e"
d = e + c
d.name = "d"
L = d * f
L.name = "L"
for interior in (e, d, L):
    interior.retain_grad()
L

# %% [markdown]
# The graph before the backward pass: boxes are values (leaves in yellow, the output in blue),
# ellipses are the operations. No box has a gradient yet.

# %%
autograd.draw_graph(L)

# %%
L.backward()
for v in (a, b, c, f, e, d, L):
    print(v)

# %% [markdown]
# After `backward()` every box carries its gradient. Compare them with the hand-derived numbers
# above: the engine did nothing more than the chain rule, one operation at a time, starting from
# $\partial L/\partial L = 1$.

# %%
autograd.draw_graph(L)

# %% [markdown]
# Each operation knows its local derivatives: the ops in `autograd/ops/` keep one
# vector-Jacobian product (VJP) per operand right beside each op, `vjp(g, ans, x, y)`, where `g` is
# the gradient arriving from the output. The same table serves scalar `Value`s and `Tensor`s
# (`unbroadcast` does nothing for scalars). A few rows of it:

# %%
import inspect

source = inspect.getsource(autograd.ops.arithmetic)
table = source[source.index("add.defvjp"):source.index("negative.defvjp")]
print(table)

# %% [markdown]
# ## 3. Deep graphs: why the walk is iterative
#
# The backward pass must visit a value only after everything that uses it has sent its gradient
# back, i.e. in reverse *topological order*. The short textbook way to get that order is a
# recursive depth-first search: visit the operands, then append the value. Its recursion depth
# equals the depth of the graph, and Python stops at about a thousand nested calls. A recurrent
# network unrolled over a long sequence, or a simulation with many time steps, easily makes a
# graph deeper than that.

# %%
def recursive_topological_order(root):
    """Textbook depth-first ordering (recursive): fine for shallow graphs only."""
    order, seen = [], set()

    def visit(v):
        if id(v) not in seen:
            seen.add(id(v))
            for operand in v.inputs:
                if isinstance(operand, Value):
                    visit(operand)
            order.append(v)
    visit(root)
    return order


N_OPS = 100_000
x = Value(0.5, name="x")
y = x
for _ in range(N_OPS):
    y = y * 1.00001

try:
    recursive_topological_order(y)
except RecursionError as err:
    print(f"recursive sort failed: RecursionError ({err}); limit is {sys.getrecursionlimit()}")

# %% [markdown]
# lucidgrad's engine (`autograd/engine.py`) uses no recursion at all: it first counts, for every
# value, how many edges bring it a gradient, then processes a value as soon as all of them have
# arrived, with an explicit to-do list. Depth costs nothing extra. The chain above is
# $y = x \cdot 1.00001^{N}$, so $dy/dx = 1.00001^{N}$:

# %%
start = time.perf_counter()
y.backward()
elapsed = time.perf_counter() - start
print(f"backward through {N_OPS:,} ops in {elapsed:.2f} s")
print(f"x.grad = {x.grad:.10f}   exact = {1.00001 ** N_OPS:.10f}")

# %% [markdown]
# ## 4. Reusing a value, and accumulating gradients
#
# When a value feeds two operations, its gradient is the **sum** of the gradients from both
# uses (the multivariable chain rule). In `b = a + a` the value `a` is used twice, so
# $db/da = 1 + 1 = 2$; in `a * a` each use contributes the other factor, giving $2a$.

# %%
a = Value(3.0, name="a")
b = a + a
b.backward()
print("b = a + a:  a.grad =", a.grad)

a = Value(3.0, name="a")
(a * a).backward()
print("a * a:      a.grad =", a.grad, "(2a = 6)")

# %% [markdown]
# This is why the engine *adds* into `.grad` instead of overwriting it. The flip side: a leaf
# keeps adding across backward passes. In a training loop each step builds a fresh graph and runs
# `backward()` again on the same weights, so without zeroing, the gradient of step 2 is the sum of
# steps 1 and 2.

# %%
w = Value(1.0, name="w")
for step in range(3):
    loss = (w * 2.0 - 1.0) ** 2   # the same graph each step: d loss / dw = 4(2w - 1) = 4
    loss.backward()
    print(f"step {step}: w.grad = {w.grad}   (forgot zero_grad: true gradient is 4)")

for step in range(3):
    w.zero_grad()
    loss = (w * 2.0 - 1.0) ** 2
    loss.backward()
    print(f"step {step}: w.grad = {w.grad}   (zeroed before each backward)")

# %% [markdown]
# ## 5. A neuron
#
# A neuron computes a weighted sum of its inputs plus a bias and passes it through an activation:
# $o = \tanh(w_1 x_1 + w_2 x_2 + b)$. The derivative of $\tanh$ is $1 - \tanh^2$, so the gradient
# reaching the weighted sum $n$ is $1 - o^2$, and from there it spreads to the weights (times their
# input) and to the inputs (times their weight).

# %%
x1, x2 = Value(1.5, name="x1"), Value(-0.5, name="x2")
w1, w2 = Value(0.8, name="w1"), Value(-1.2, name="w2")
bias = Value(-0.4, name="b")
n = x1 * w1 + x2 * w2 + bias
n.name = "n"
o = n.tanh()
o.name = "o"
n.retain_grad()
o.backward()

local = 1 - o.data ** 2
print(f"o = {o.data:.4f}, do/dn = 1 - o^2 = {local:.4f}, engine: {n.grad:.4f}")
print(f"do/dw1 = x1 (1 - o^2) = {x1.data * local:.4f}, engine: {w1.grad:.4f}")
autograd.draw_graph(o)

# %% [markdown]
# `nn.scalar` packages the same thing: `Neuron(n_inputs, activation)` draws its weights from
# $[-1, 1]$ and computes `activation(w . x + b)`; its weighted sum is a single `Value.dot` node, so
# its graphs stay small. `Layer` is a list of neurons, `MLP` a list of layers.

# %%
from nn.scalar import MLP, Neuron, max_margin_loss

neuron = Neuron(2, activation="tanh", rng=random.Random(0))
out = neuron([1.5, -0.5])
out.backward()
print(out)
print("gradients of w1, w2, b:", [round(p.grad, 4) for p in neuron.parameters()])
autograd.draw_graph(out)

# %% [markdown]
# ## 6. A network on the two-moons data
#
# Two interleaving half circles, one per class: no straight line separates them, so the network
# needs its hidden layers. We map the labels to $-1/+1$ and train `MLP(2, [16, 16, 1])` (two ReLU
# hidden layers of 16 neurons, one linear output whose sign is the prediction) on the max-margin
# (SVM) loss $\operatorname{mean}\big(\max(0, 1 - y \cdot \text{score})\big) + \alpha \sum p^2$.

# %%
from nn.data import make_moons

X, labels = make_moons(100, noise=0.1, seed=1)
Y = 2 * labels - 1  # {0, 1} -> {-1, +1}
plt.figure(figsize=(4.5, 3.5))
plt.scatter(X[:, 0], X[:, 1], c=Y, cmap="coolwarm", edgecolors="k", s=25)
plt.title("two moons: 100 points")
plt.show()

# %% [markdown]
# Plain stochastic gradient descent: `p <- p - lr * p.grad` for every parameter, with the
# learning rate decaying from 1.0 to 0.1 over the run, and `zero_grad()` before each backward.

# %%
model = MLP(2, [16, 16, 1], seed=0)
params = model.parameters()
print(f"{len(params)} parameters, each one Value")

STEPS = 12 if SMALL else 100
losses, accuracies = [], []
start = time.perf_counter()
for step in range(STEPS):
    loss, accuracy = max_margin_loss(model, X, Y)
    model.zero_grad()
    loss.backward()
    learning_rate = 1.0 - 0.9 * step / STEPS
    for p in params:
        p.data -= learning_rate * p.grad
    losses.append(loss.data)
    accuracies.append(accuracy)
    if step % 10 == 0 or step == STEPS - 1:
        print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
print(f"{STEPS} steps in {time.perf_counter() - start:.1f} s")

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3))
ax_loss.plot(losses)
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("max-margin loss")
ax_loss.set_yscale("log")
ax_acc.plot(accuracies)
ax_acc.set_xlabel("step")
ax_acc.set_ylabel("training accuracy")
plt.tight_layout()
plt.show()

# %% [markdown]
# The decision boundary: evaluate the network on a grid of points and colour each by the sign of
# its score. Under `autograd.no_grad()` prediction records no graph, which saves memory and some time, but it
# is still one Python object per arithmetic operation, so the grid is coarse in small mode.

# %%
GRID = 12 if SMALL else 80
xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, GRID)
ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, GRID)
with autograd.no_grad():
    scores = np.array([[model([float(u), float(v)]).data for u in xs] for v in ys])

plt.figure(figsize=(5, 4))
plt.contourf(xs, ys, scores > 0, levels=1, cmap="coolwarm", alpha=0.35)
plt.contour(xs, ys, scores, levels=[0], colors="k", linewidths=1)
plt.scatter(X[:, 0], X[:, 1], c=Y, cmap="coolwarm", edgecolors="k", s=25)
plt.title(f"decision boundary after {STEPS} steps (accuracy {accuracies[-1]:.0%})")
plt.show()

# %% [markdown]
# ## 7. The classic hand-written backpropagation bug
#
# Before autodiff, the gradients of a network were derived on paper and coded by hand with the
# backpropagation formulas (examples as columns, $\odot$ the elementwise product):
#
# $$\delta_L = \frac{\partial J}{\partial a_L} \odot f'(z_L), \qquad
#   \delta_l = (W_{l+1}^\top \delta_{l+1}) \odot f'(z_l), \qquad
#   \frac{\partial J}{\partial W_l} = \delta_l\, a_{l-1}^\top, \qquad
#   \frac{\partial J}{\partial b_l} = \sum_{\text{examples}} \delta_l.$$
#
# A frequent mistake is to drop the $\odot f'(z_l)$ factor for the hidden layer. The code still
# runs and the loss may even go down for a while, so nothing looks wrong. Here are both versions
# for a network with one tanh hidden layer, a linear output and the loss
# $J = \frac{1}{2m}\sum (\hat y - y)^2$.

# %%
def forward_numpy(W1, b1, W2, b2, X, Y):
    """Loss of a 1-hidden-layer tanh network; examples are the columns of X and Y."""
    A1 = np.tanh(W1 @ X + b1)
    Y_hat = W2 @ A1 + b2
    return np.sum((Y_hat - Y) ** 2) / (2 * X.shape[1])


def backprop_numpy(W1, b1, W2, b2, X, Y, skip_activation_derivative=False):
    """dJ/dW1, dJ/db1, dJ/dW2, dJ/db2 by the backpropagation formulas."""
    m = X.shape[1]
    A1 = np.tanh(W1 @ X + b1)
    Y_hat = W2 @ A1 + b2
    delta2 = (Y_hat - Y) / m                 # linear output: f'(z) = 1
    delta1 = W2.T @ delta2
    if not skip_activation_derivative:
        delta1 = delta1 * (1 - A1 ** 2)      # tanh'(z1) = 1 - a1^2   <- the factor the bug drops
    return delta1 @ X.T, delta1.sum(axis=1, keepdims=True), delta2 @ A1.T, delta2.sum(axis=1, keepdims=True)


rng = np.random.default_rng(0)
X_small, Y_small = rng.normal(size=(2, 8)), rng.normal(size=(1, 8))
weights = [rng.normal(size=(4, 2)), rng.normal(size=(4, 1)), rng.normal(size=(1, 4)), rng.normal(size=(1, 1))]

# %% [markdown]
# The engine gives a reference: write the same forward pass with `autograd.Tensor` operations and
# call `backward()`. (Tensors are the subject of the next notebook; here they are just numpy arrays
# that record a graph.)

# %%
from autograd import Tensor

params_t = [Tensor(w, requires_grad=True) for w in weights]
W1, b1, W2, b2 = params_t
A1 = (W1 @ Tensor(X_small) + b1).tanh()
J = ((W2 @ A1 + b2 - Tensor(Y_small)) ** 2).sum() / (2 * X_small.shape[1])
J.backward()

names = ["W1", "b1", "W2", "b2"]
for label, skip in (("correct", False), ("buggy", True)):
    hand = backprop_numpy(*weights, X_small, Y_small, skip_activation_derivative=skip)
    gaps = [np.abs(h - p.grad).max() for h, p in zip(hand, params_t)]
    print(f"{label:8s} largest difference from backward():",
          ", ".join(f"{n} {g:.1e}" for n, g in zip(names, gaps)))

# %% [markdown]
# Only the hidden layer's gradients are wrong; the output layer is fine, which is exactly why the
# bug survives casual testing. `autograd.gradcheck` catches it without any reference
# implementation: it compares a function's derivatives with finite differences, element by
# element, in float64. To check a hand-written backward, register it as the derivative of a single
# custom operation (`autograd.primitive`, the subject of notebook 3) and let `gradcheck` probe it.

# %%
def as_checked_op(skip_activation_derivative):
    """The network loss as one op whose derivative is our hand-written backprop."""
    op = autograd.primitive(forward_numpy, name="handwritten_mlp_loss")

    def vjp_for(k):
        return lambda g, ans, *args: g * backprop_numpy(
            *args, skip_activation_derivative=skip_activation_derivative)[k]
    return op.defvjp(*(vjp_for(k) for k in range(4)))


for skip in (False, True):
    op = as_checked_op(skip)
    try:
        autograd.gradcheck(lambda *ws: op(*ws, X_small, Y_small), weights)
        print(f"skip_activation_derivative={skip}: gradcheck passed")
    except autograd.GradcheckError as err:
        print(f"skip_activation_derivative={skip}: {err}")

# %% [markdown]
# The message names the input (0 is `W1`), the element, and both numbers. The lesson: never trust
# a derivative you wrote yourself until a finite-difference check agrees with it, and prefer to
# let the engine derive it for you. `gradcheck` works on scalar `Value` functions too:

# %%
print(autograd.gradcheck(lambda u, v: (u * v).tanh() + u ** 3, [0.3, -0.5]))
