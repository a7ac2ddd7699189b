# %% [markdown]
# # 2. Tensors: whole arrays in the graph
#
# The scalar `Value` of notebook 1 records one graph node per number. Real networks push matrices
# through every layer, so lucidgrad also has `autograd.Tensor`: a numpy array that records the
# operations applied to it. The engine is the same (same graph record, same backward walk); only
# the derivative rules now act on whole arrays. This notebook covers:
#
# 1. creating tensors: shape, `ndim`, `dtype` (float32 by default);
# 2. element-wise operations and broadcasting, and how the gradient undoes a broadcast;
# 3. the derivative table, read straight from the source;
# 4. matrix-product gradients against the backpropagation formulas;
# 5. controlling the graph: `requires_grad`, `no_grad`, `detach`;
# 6. looking inside the backward pass: `retain_grad`, hooks, and `detect_anomaly` hunting a NaN.

# %%
import inspect
import os
import time

import numpy as np

import autograd
from autograd import Tensor

SMALL = os.environ.get("LUCIDGRAD_NOTEBOOK_BUDGET", "full") == "small"
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Creating tensors
#
# Data comes in arrays of any rank: a scalar has 0 axes, a vector 1, a matrix 2, a batch of
# grey-scale images 3 (`(count, height, width)`), a batch of colour images 4. Every tensor has a
# `shape`, an `ndim` and a `dtype`.
#
# Python numbers and lists become **float32**, the usual precision for training (half the memory
# of float64 and fast enough). Whole numbers become int64 and booleans bool. A numpy array keeps
# its dtype and is wrapped without copying; pass `dtype=` to choose.

# %%
examples = {
    "scalar": Tensor(3.5),
    "vector": Tensor([1.0, 2.0, 3.0]),
    "matrix": Tensor([[1, 2], [3, 4]]),
    "images": Tensor(np.zeros((5, 28, 28), dtype=np.uint8)),
    "float64": Tensor(np.linspace(0, 1, 4)),
    "asked": Tensor([1, 2, 3], dtype=np.float64),
}
for label, t in examples.items():
    print(f"{label:8s} ndim={t.ndim}  shape={str(t.shape):12s} dtype={t.dtype}")

# %% [markdown]
# Gradients are only defined for floating-point data, and a tensor is a constant unless you say
# otherwise: `requires_grad=True` marks the tensors you want derivatives for (the parameters).

# %%
w = Tensor([0.5, -1.0], requires_grad=True)
print(w, w.requires_grad, w.is_leaf)
try:
    Tensor([1, 2, 3], requires_grad=True)
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# ## 2. Element-wise operations and broadcasting
#
# An element-wise function applies to every entry independently. Written as loops, ReLU on a
# matrix is a double loop; as an array operation it is one call that runs in compiled code. The
# tensor version is the array call plus one graph node.

# %%
def relu_loops(matrix):
    out = matrix.copy()
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            out[i, j] = max(matrix[i, j], 0.0)
    return out


side = 100 if SMALL else 500
m = np.random.default_rng(0).normal(size=(side, side)).astype(np.float32)
start = time.perf_counter()
slow = relu_loops(m)
loop_time = time.perf_counter() - start
start = time.perf_counter()
fast = autograd.relu(Tensor(m))
array_time = time.perf_counter() - start
print(f"{side}x{side}: loops {loop_time * 1e3:.1f} ms, tensor op {array_time * 1e3:.2f} ms, "
      f"same result: {np.array_equal(slow, fast.data)}")

# %% [markdown]
# **Broadcasting** lets operands of different shapes meet: adding a bias vector of shape `(3,)` to
# a `(4, 3)` matrix adds it to every row, as if the vector had been copied 4 times. No copy is
# made, but mathematically the vector *was* used 4 times, and in notebook 1 we saw that a value
# used several times receives the **sum** of the gradients of its uses. So the gradient of a
# broadcast operand is the output gradient summed over the broadcast axes.

# %%
X = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
bias = Tensor([10.0, 20.0, 30.0], requires_grad=True)
column = Tensor([[1.0], [2.0], [3.0], [4.0]], requires_grad=True)

Z = X + bias            # (4, 3) + (3,)   -> bias added to each row
Z = Z * column          # (4, 3) * (4, 1) -> each row scaled by its own number
loss = Z.sum()
loss.backward()

print("Z.shape     ", Z.shape)
print("X.grad      ", X.grad.shape, "(same as X)")
print("bias.grad   ", bias.grad.shape, bias.grad, " = column summed over the 4 rows:", column.data.sum())
print("column.grad ", column.grad.shape, column.grad.ravel(), " = row sums of X + bias:",
      (X.data + bias.data).sum(axis=1))

# %% [markdown]
# Every broadcasting op calls one helper, `unbroadcast`, which sums the gradient over the axes
# that broadcasting added (leading ones) or stretched (size-1 ones):

# %%
print(inspect.getsource(autograd.ops.shape.unbroadcast))
g = np.ones((4, 3))
print(autograd.unbroadcast(g, (3,)), autograd.unbroadcast(g, (4, 1)).ravel())

# %% [markdown]
# ## 3. The derivative table
#
# Each tensor op is a small numpy function with its vector-Jacobian product (VJP) written next to
# it: `vjp(g, ans, *operands)` maps the gradient `g` of the op's output to the gradient of one
# operand. The module docstrings summarise the rules in math:

# %%
for module in (autograd.ops.arithmetic, autograd.ops.linalg, autograd.ops.reductions):
    print(f"--- {module.__name__}")
    print(module.__doc__)

# %% [markdown]
# and the code says the same thing. Here are the VJP lines of the element-wise functions (read
# `g * ans` for exp as "the derivative of $e^x$ is $e^x$, times the incoming gradient"):

# %%
source = inspect.getsource(autograd.ops.elementwise)
print("\n".join(line for line in source.splitlines()
                if ".defvjp(lambda" in line and line.count("(") == line.count(")")))

# %% [markdown]
# Because a VJP is written with the same tensor operations it differentiates, the very same code
# can run on graph objects and be differentiated again (notebook 7 uses this for second
# derivatives).
#
# ## 4. Matrix products and the backpropagation formulas
#
# For one layer with examples as columns, $z = W a + b$ and the backpropagation formulas say: if
# $\delta = \partial J/\partial z$ then
#
# $$\frac{\partial J}{\partial W} = \delta\, a^\top, \qquad \frac{\partial J}{\partial b} = \sum_{\text{examples}} \delta, \qquad
#   \frac{\partial J}{\partial a} = W^\top \delta.$$
#
# These are exactly the matmul VJPs `g @ y.T` and `x.T @ g` (for `W @ a`, `x` is `W` and `y` is
# `a`), plus the broadcast rule for `b`. Let's check them on a sigmoid layer with a squared-error
# loss, getting $\delta$ itself from the engine with `retain_grad()`.

# %%
rng = np.random.default_rng(1)
W = Tensor(rng.normal(size=(3, 4)), requires_grad=True)      # 4 inputs -> 3 outputs
b = Tensor(rng.normal(size=(3, 1)), requires_grad=True)
a = Tensor(rng.normal(size=(4, 5)), requires_grad=True)      # 5 examples as columns
target = Tensor(rng.uniform(size=(3, 5)))

z = (W @ a + b).retain_grad()
J = ((z.sigmoid() - target) ** 2).sum() / (2 * 5)
J.backward()

delta = z.grad
s = 1 / (1 + np.exp(-z.data))
print("delta = (sigmoid(z) - y)/m * sigmoid'(z):", np.allclose(delta, (s - target.data) / 5 * s * (1 - s)))
print("dJ/dW = delta a^T:  ", np.allclose(W.grad, delta @ a.data.T))
print("dJ/db = sum delta:  ", np.allclose(b.grad, delta.sum(axis=1, keepdims=True)))
print("dJ/da = W^T delta:  ", np.allclose(a.grad, W.data.T @ delta))
print("shapes:", W.grad.shape, b.grad.shape, a.grad.shape)

# %% [markdown]
# ## 5. Controlling the graph: `requires_grad`, `no_grad`, `detach`
#
# * An op records a graph node only if some operand requires grad. Tensors made from data (inputs,
#   targets) do not, so no gradient is wasted on them.
# * Inside `with autograd.no_grad():` nothing is recorded at all: use it for evaluation and for
#   the parameter update itself (the update must not become part of the next step's graph).
# * `t.detach()` returns a new leaf sharing `t`'s data but cut from the graph: gradients stop there.

# %%
w = Tensor([1.0, 2.0], requires_grad=True)
x = Tensor([3.0, 4.0])
y = (w * x).sum()
print("y.requires_grad:", y.requires_grad, " y.op:", y.op.name)

with autograd.no_grad():
    y_eval = (w * x).sum()
print("under no_grad:   requires_grad =", y_eval.requires_grad, " op =", y_eval.op)

# detach: treat w*w as a constant in the second factor
wsq = w * w
product = (wsq * wsq.detach()).sum()        # d/dw [ (w^2) * c ] = 2w * c, with c = w^2
product.backward()
print("w.grad with detach:", w.grad, "  (2w * w^2 =", 2 * w.data * w.data ** 2, ")")
w.zero_grad()
wsq = w * w                                 # a fresh graph: backward() freed the first one
(wsq * wsq).sum().backward()
print("w.grad without:    ", w.grad, "  (d w^4 = 4w^3 =", 4 * w.data ** 3, ")")

# %% [markdown]
# ## 6. Looking inside the backward pass
#
# ### `retain_grad`
# Interior tensors pass their gradient on and drop it (keeping them all would double the memory of
# a large network). `retain_grad()` keeps it in `.grad`, as we did for `z` above.

# %%
h = Tensor([0.5, -1.5, 2.0], requires_grad=True)
hidden = autograd.tanh(h * 2.0)
hidden_kept = autograd.tanh(h * 2.0).retain_grad()
((hidden ** 2).sum() + (hidden_kept ** 2).sum()).backward()
print("hidden.grad:", hidden.grad)
print("hidden_kept.grad:", hidden_kept.grad, " (d/dt of t^2 is 2t:", 2 * hidden_kept.data, ")")

# %% [markdown]
# ### Hooks
# `register_hook(fn)` calls `fn(grad)` when a tensor's gradient is ready during the backward
# pass. Returning `None` leaves the gradient alone (good for logging); returning an array replaces
# it, for example to clip an exploding gradient before it reaches the layers below. `remove()` on
# the returned handle takes the hook off again.

# %%
w = Tensor([0.1, 1.0, 10.0], requires_grad=True)
activation = w ** 3
log = []
log_handle = activation.register_hook(lambda g: log.append(("activation", g.copy())))
clip_handle = w.register_hook(lambda g: np.clip(g, -5.0, 5.0))
activation.sum().backward()
print("logged:", log)
print("raw gradient 3 w^2 =", 3 * w.data ** 2, "  clipped w.grad =", w.grad)

clip_handle.remove()
log_handle.remove()
w.zero_grad()
(w ** 3).sum().backward()
print("after remove():", w.grad, " log still has", len(log), "entry")

# %% [markdown]
# ### `detect_anomaly`: where did the NaN come from?
#
# A NaN in a gradient spreads to every parameter it touches and training silently dies. Here is a
# classic source: the Euclidean norm $\sqrt{\sum x^2}$ is fine at $x = 0$ in the forward pass (it
# is 0), but its derivative $x / \lVert x \rVert$ is $0/0$ there. The engine computes
# $\frac{1}{2\sqrt{s}} = \infty$ for the square root and then multiplies by $2x = 0$: NaN.

# %%
def norm_loss(x):
    return ((x * x).sum()).sqrt()


x = Tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
loss = norm_loss(x[0]) + norm_loss(x[1])
loss.backward()
print("loss =", loss.item())
print("x.grad =", x.grad)

# %% [markdown]
# The forward value looks fine; only the gradient is broken, and the error shows up far away. Under
# `autograd.detect_anomaly()` every op remembers where it was created, and backward stops at the
# first VJP that produces a NaN or an infinity, naming the op and the line that made it. (It slows
# everything down: switch it on to debug, not to train.)

# %%
x = Tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
with autograd.detect_anomaly():
    loss = norm_loss(x[0]) + norm_loss(x[1])
    try:
        loss.backward()
    except autograd.AnomalyError as err:
        lines = str(err).splitlines()
        # the first lines name the op; the last ones are the notebook lines that created it
        print("AnomalyError:", "\n".join(lines[:2] + ["  ..."] + lines[-4:]))

# %% [markdown]
# The culprit is the `sqrt` inside `norm_loss`. A usual fix is to keep the square root away from
# zero, e.g. $\sqrt{\sum x^2 + \epsilon}$:

# %%
x = Tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
with autograd.detect_anomaly():
    loss = sum(((row * row).sum() + 1e-12).sqrt() for row in x)
    loss.backward()
print("x.grad =", x.grad)
