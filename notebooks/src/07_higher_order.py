# %% [markdown]
# # 7. Higher-order derivatives: `grad(grad(f))`, Hessians and gradient penalties
#
# The backward pass computes a gradient with ordinary operations (multiply, add, tanh, ...). If
# those operations are themselves recorded, the gradient is a graph too, and we can differentiate
# it again. In lucidgrad that is what `create_graph=True` does: every VJP is written with the same
# engine operations it differentiates, so under `create_graph=True` it builds new graph nodes
# instead of just producing numbers. This notebook uses it for:
#
# 1. second and third derivatives of `tanh`, checked against their closed forms;
# 2. Hessians and Hessian-vector products, and Newton's method;
# 3. a gradient penalty, the regulariser of WGAN-GP, which puts the *gradient of a network with
#    respect to its input* into the loss, so training needs the derivative of a derivative.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd
from autograd import Tensor, Value, grad

SMALL = os.environ.get("LUCIDGRAD_NOTEBOOK_BUDGET", "full") == "small"
np.set_printoptions(precision=5, suppress=True)

# %% [markdown]
# ## 1. Derivatives of derivatives
#
# `autograd.grad(f)` returns a new function that computes $f'$. Feed it to `grad` again and you get
# $f''$, and so on. For $\tanh$ the closed forms follow from $\tanh' = 1 - \tanh^2$ and the chain
# rule, writing $t = \tanh x$:
#
# $$\tanh' = 1 - t^2, \qquad \tanh'' = -2t\,(1 - t^2), \qquad \tanh''' = -2\,(1 - t^2)(1 - 3t^2).$$

# %%
def f(x):
    return x.tanh()


df, d2f, d3f = grad(f), grad(grad(f)), grad(grad(grad(f)))

for x in (-1.5, 0.0, 0.7, 2.0):
    t = np.tanh(x)
    closed = (1 - t ** 2, -2 * t * (1 - t ** 2), -2 * (1 - t ** 2) * (1 - 3 * t ** 2))
    engine = (df(x), d2f(x), d3f(x))
    print(f"x = {x:5.2f}   engine: " + "  ".join(f"{e:+.10f}" for e in engine)
          + "   max |engine - closed form| = " + f"{max(abs(e - c) for e, c in zip(engine, closed)):.1e}")

# %% [markdown]
# What happens underneath: `autograd.gradients(y, x, create_graph=True)` returns the derivative as
# a `Value` that still remembers how it was computed. Its graph is the backward pass written out:
# `1 - t * t` times the seed gradient. Differentiating *that* graph gives the second derivative.

# %%
x = Value(0.7, name="x")
y = x.tanh()
dy_dx = autograd.gradients(y, x, create_graph=True)
dy_dx.name = "dy/dx"
d2y_dx2 = autograd.gradients(dy_dx, x)
print(f"dy/dx = {dy_dx.data:.6f} (a {type(dy_dx).__name__} with op '{dy_dx.op.name}'),  d2y/dx2 = {d2y_dx2:.6f}")
autograd.draw_graph(dy_dx)

# %% [markdown]
# `grad` also works on arrays, but only for functions with a single output number. For an
# element-wise function the trick is to sum first: the gradient of $\sum_i f(x_i)$ with respect to
# $x_i$ is $f'(x_i)$, so one backward pass gives $f'$ at every point of a grid. Doing it twice
# gives $f''$ everywhere.

# %%
def total_tanh(xs):
    return xs.tanh().sum()


def total_first_derivative(xs):
    return grad(total_tanh)(xs).sum()


grid = np.linspace(-4, 4, 81 if SMALL else 401)
f_values = np.tanh(grid)
first = grad(total_tanh)(grid)
second = grad(total_first_derivative)(grid)
t = np.tanh(grid)
print("largest error of f' :", np.abs(first - (1 - t ** 2)).max())
print("largest error of f'':", np.abs(second - (-2 * t * (1 - t ** 2))).max())

plt.figure(figsize=(6, 3.5))
plt.plot(grid, f_values, label="tanh x")
plt.plot(grid, first, label="tanh' x")
plt.plot(grid, second, label="tanh'' x")
plt.axhline(0, color="grey", linewidth=0.5)
plt.xlabel("x")
plt.legend()
plt.title("tanh and two derivatives from grad(grad(...))")
plt.show()

# %% [markdown]
# Notice where $\tanh''$ vanishes: at 0, where $\tanh$ is straightest, and far out, where it is
# flat. Its extremes, at $x = \pm\,\operatorname{artanh}(1/\sqrt 3) \approx \pm 0.66$, are where
# the slope of a tanh unit changes fastest.
#
# ## 2. Hessians and Hessian-vector products
#
# For a function of many variables $L(w)$, the second derivative is the Hessian matrix
# $H_{ij} = \partial^2 L / \partial w_i \partial w_j$. `autograd.hessian(L)(w)` builds it one row at
# a time (one backward pass per entry of $w$). Often we only need $H v$ for some vector $v$, and
# `autograd.hvp(L)(w, v)` gets it with two passes and no $n \times n$ matrix: it differentiates the
# scalar $\nabla L(w) \cdot v$ once more, since $\nabla_w (\nabla L(w) \cdot v) = H v$.
#
# A quadratic first, where the answer is known exactly: $L(w) = \tfrac12 w^\top A w - b^\top w$ has
# $H = A$ for every $w$.

# %%
A = np.array([[3.0, 1.0], [1.0, 2.0]])
b = np.array([1.0, -1.0])


def quadratic(w):
    return 0.5 * (w @ (Tensor(A) @ w)) - (Tensor(b) * w).sum()


w0 = np.array([0.5, -2.0])
v = np.array([1.0, 2.0])
print("hessian:\n", autograd.hessian(quadratic)(w0))
print("hvp:         ", autograd.hvp(quadratic)(w0, v))
print("hessian @ v: ", autograd.hessian(quadratic)(w0) @ v)
print("A @ v:       ", A @ v)

# %% [markdown]
# Now a logistic-regression loss, $L(w) = \frac1n \sum_i \log(1 + e^{-y_i x_i^\top w}) + \frac\lambda2 \lVert w\rVert^2$
# with labels $\pm1$. With $p_i = \sigma(x_i^\top w)$ its Hessian is
# $H = \frac1n X^\top \operatorname{diag}\big(p_i(1-p_i)\big) X + \lambda I$. The engine's Hessian,
# its Hessian-vector product and this formula agree; the timings show why `hvp` is the one to use
# when $w$ is large.

# %%
rng = np.random.default_rng(0)
LAMBDA = 0.01


def make_logistic_problem(n, d):
    X = rng.normal(size=(n, d))
    y = np.sign(X @ rng.normal(size=d) + 0.5 * rng.normal(size=n))
    return X, y


def logistic_loss(w, X, y):
    return autograd.softplus(-Tensor(y) * (Tensor(X) @ w)).mean() + 0.5 * LAMBDA * (w * w).sum()


def logistic_hessian_formula(w, X):
    p = 1 / (1 + np.exp(-(X @ w)))
    return X.T @ (X * (p * (1 - p))[:, None]) / len(X) + LAMBDA * np.eye(X.shape[1])


for d in ((10, 100) if SMALL else (10, 100, 400)):
    X, y = make_logistic_problem(500, d)
    w = 0.1 * rng.normal(size=d)
    v = rng.normal(size=d)
    start = time.perf_counter()
    H = autograd.hessian(logistic_loss)(w, X, y)
    hessian_time = time.perf_counter() - start
    start = time.perf_counter()
    Hv = autograd.hvp(logistic_loss)(w, X, y, v)
    hvp_time = time.perf_counter() - start
    print(f"d = {d:4d}: |H - formula| = {np.abs(H - logistic_hessian_formula(w, X)).max():.1e}, "
          f"|hvp - H v| = {np.abs(Hv - H @ v).max():.1e};  "
          f"hessian {hessian_time * 1e3:7.1f} ms, hvp {hvp_time * 1e3:5.1f} ms")

# %% [markdown]
# ### Newton's method
#
# Gradient descent steps along $-\nabla L$ with a hand-tuned step size. Newton's method uses the
# curvature too: it jumps to the minimum of the local quadratic model,
# $w \leftarrow w - H^{-1} \nabla L$. On a quadratic that is one step; near a minimum of a smooth
# function it converges *quadratically* (the number of correct digits roughly doubles each step).
#
# The Rosenbrock function $L(u, v) = (1 - u)^2 + 100\,(v - u^2)^2$ has its minimum at $(1, 1)$ at the
# bottom of a long, curved, flat valley, the classic trap for gradient descent.

# %%
def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


start_point = np.array([-1.2, 1.0])

newton_path = [start_point]
p = start_point
for step in range(8):
    p = p - np.linalg.solve(autograd.hessian(rosenbrock)(p), grad(rosenbrock)(p))
    newton_path.append(p)
    print(f"Newton step {step + 1}: p = {p},  L = {rosenbrock(Tensor(p)).item():.3e}")

GD_STEPS = 500 if SMALL else 5000
gd_path = [start_point]
p = start_point
for step in range(GD_STEPS):
    p = p - 1e-3 * grad(rosenbrock)(p)
    gd_path.append(p)
print(f"gradient descent after {GD_STEPS} steps: p = {p},  L = {rosenbrock(Tensor(p)).item():.3e}")

# %%
u, w_ = np.meshgrid(np.linspace(-1.6, 1.6, 200), np.linspace(-0.6, 1.6, 200))
surface = (1 - u) ** 2 + 100 * (w_ - u ** 2) ** 2
newton_path, gd_path = np.array(newton_path), np.array(gd_path)

plt.figure(figsize=(6, 4))
plt.contour(u, w_, np.log10(surface + 1e-3), levels=25, cmap="viridis", linewidths=0.7)
plt.plot(gd_path[:, 0], gd_path[:, 1], ".-", color="tab:orange", markersize=2, linewidth=1,
         label=f"gradient descent ({GD_STEPS} steps)")
plt.plot(newton_path[:, 0], newton_path[:, 1], "o-", color="tab:red", label="Newton (8 steps)")
plt.plot([1], [1], "k*", markersize=12, label="minimum (1, 1)")
plt.ylim(-0.6, 1.6)
plt.legend(loc="lower right", fontsize=8)
plt.title("Rosenbrock: Newton vs gradient descent")
plt.show()

# %% [markdown]
# Newton's second step overshoots far out of the picture (a pure Newton step trusts the quadratic
# model even where it is poor), yet it lands exactly at $(1, 1)$ within six steps; gradient
# descent creeps along the valley floor. For large models the full Hessian is out of reach, but
# `hvp` lets methods such as conjugate gradients use curvature one product at a time.
#
# ## 3. A gradient penalty (WGAN-GP)
#
# A Wasserstein GAN trains a *critic* $D(x)$ that scores real samples high and generated ones low;
# the gap $\mathbb E[D(\text{real})] - \mathbb E[D(\text{fake})]$ estimates the Wasserstein distance
# between the two distributions, **provided the critic's slope is at most 1** everywhere. Without
# that constraint the critic can make the gap as large as it likes by scaling itself up. WGAN-GP
# enforces it softly with a penalty on the norm of the gradient **with respect to the input**, at
# random points $\hat x$ between real and fake samples:
#
# $$\text{loss} = -\big(\mathbb E[D(\text{real})] - \mathbb E[D(\text{fake})]\big) + \lambda\,\mathbb E\big[(\lVert \nabla_{\hat x} D(\hat x) \rVert - 1)^2\big].$$
#
# The penalty contains a gradient, so minimising it by gradient descent needs the gradient of a
# gradient. We write the critic directly with Tensor operations,
# $D(x) = \tanh(x W_1 + b_1)\, W_2$, and take $\nabla_{\hat x} D$ with
# `autograd.gradients(..., create_graph=True)` so that the penalty stays differentiable with
# respect to $W_1, b_1, W_2$.

# %%
HIDDEN, BATCH, LR = 32, 64, 0.01
REAL_MEAN, FAKE_MEAN, SPREAD = np.array([2.0, 2.0]), np.array([-1.0, 0.0]), 0.5


def init_critic(seed=1):
    r = np.random.default_rng(seed)
    return [Tensor(0.5 * r.normal(size=(2, HIDDEN)), requires_grad=True, name="W1"),
            Tensor(np.zeros(HIDDEN), requires_grad=True, name="b1"),
            Tensor(0.5 * r.normal(size=(HIDDEN, 1)), requires_grad=True, name="W2")]


def critic(x, W1, b1, W2):
    return autograd.tanh(x @ W1 + b1) @ W2


def input_gradient_norms(x, params):
    """||dD/dx|| at each row of x, as a differentiable Tensor."""
    x = Tensor(x, requires_grad=True)
    grads = autograd.gradients(critic(x, *params).sum(), x, create_graph=True)  # row i: dD(x_i)/dx_i
    return ((grads * grads).sum(axis=1) + 1e-12).sqrt()   # + 1e-12: sqrt'(0) is infinite


def gradient_penalty(x, params):
    return ((input_gradient_norms(x, params) - 1) ** 2).mean()

# %% [markdown]
# Before training with it, check the derivative of the penalty with respect to the weights, a
# second derivative of the critic, against finite differences:

# %%
x_check = np.random.default_rng(2).normal(size=(5, 2))
params = init_critic()
print("gradcheck of the penalty w.r.t. W1, b1, W2:",
      autograd.gradcheck(lambda W1, b1, W2: gradient_penalty(x_check, [W1, b1, W2]),
                         [p.data for p in params]))

# %% [markdown]
# Now train two critics with plain gradient descent on the same samples, one without and one with
# the penalty ($\lambda = 10$, the usual choice). Real samples come from a Gaussian around (2, 2),
# fake ones from one around (-1, 0), both with spread 0.5. For two Gaussians that differ only by a
# shift, the Wasserstein-1 distance is the length of the shift, $\sqrt{3^2 + 2^2} \approx 3.61$.

# %%
STEPS = 200 if SMALL else 1000


def train_critic(penalty_weight, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    params = init_critic()
    history = {"gap": [], "slope": []}
    for step in range(steps):
        real = REAL_MEAN + SPREAD * rng.normal(size=(BATCH, 2))
        fake = FAKE_MEAN + SPREAD * rng.normal(size=(BATCH, 2))
        mix = rng.uniform(size=(BATCH, 1))
        between = mix * real + (1 - mix) * fake
        gap = critic(Tensor(real), *params).mean() - critic(Tensor(fake), *params).mean()
        loss = -gap
        if penalty_weight:
            loss = loss + penalty_weight * gradient_penalty(between, params)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.zero_grad()
        # only the numbers are kept: the graph behind them goes (while a graph that used the
        # weights is alive, their arrays are read-only, and the update above would refuse)
        slopes = input_gradient_norms(between, params).data
        history["gap"].append(gap.item())
        history["slope"].append(float(slopes.mean()))
    return params, history


start = time.perf_counter()
plain_params, plain = train_critic(penalty_weight=0.0)
gp_params, penalized = train_critic(penalty_weight=10.0)
print(f"trained two critics for {STEPS} steps in {time.perf_counter() - start:.1f} s")
for label, h in (("no penalty", plain), ("gradient penalty", penalized)):
    print(f"{label:17s} final gap {h['gap'][-1]:9.2f}   mean slope between the samples {h['slope'][-1]:8.2f}")
print(f"true Wasserstein-1 distance: {np.linalg.norm(REAL_MEAN - FAKE_MEAN):.2f}")

# %%
fig, (ax_gap, ax_slope) = plt.subplots(1, 2, figsize=(10, 3.5))
for label, h in (("no penalty", plain), ("gradient penalty, λ = 10", penalized)):
    ax_gap.plot(h["gap"], label=label)
    ax_slope.plot(h["slope"], label=label)
ax_gap.axhline(np.linalg.norm(REAL_MEAN - FAKE_MEAN), color="k", linestyle="--", linewidth=0.8,
               label="true distance")
ax_gap.set_yscale("symlog")
ax_gap.set_ylim(bottom=0)
ax_gap.set_xlabel("step")
ax_gap.set_ylabel("E[D(real)] - E[D(fake)]")
ax_gap.legend(fontsize=8)
ax_slope.axhline(1, color="k", linestyle="--", linewidth=0.8)
ax_slope.set_yscale("log")
ax_slope.set_xlabel("step")
ax_slope.set_ylabel("mean ||dD/dx|| between the samples")
ax_slope.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Without the penalty the critic keeps growing: the gap and the slope increase without bound,
# and the gap says nothing about the distance. With the penalty the slope settles near 1 and the
# gap levels off near the true distance. It lands a little above it because the penalty is soft:
# the slope settles slightly above 1, where the pull of the objective balances the penalty, and
# the gap scales with it. The critic's landscape shows the difference:

# %%
gx, gy = np.meshgrid(np.linspace(-3, 4.5, 60), np.linspace(-2.5, 4, 60))
points = np.column_stack([gx.ravel(), gy.ravel()])
rng = np.random.default_rng(5)
real = REAL_MEAN + SPREAD * rng.normal(size=(100, 2))
fake = FAKE_MEAN + SPREAD * rng.normal(size=(100, 2))

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, (label, params) in zip(axes, (("no penalty", plain_params), ("gradient penalty", gp_params))):
    with autograd.no_grad():
        scores = critic(Tensor(points), *params).data.reshape(gx.shape)
    filled = ax.contourf(gx, gy, scores, levels=20, cmap="RdBu_r")
    fig.colorbar(filled, ax=ax)
    ax.scatter(real[:, 0], real[:, 1], s=6, c="k", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=6, c="w", edgecolors="k", linewidths=0.3, label="fake")
    ax.set_title(f"critic D(x), {label}")
    ax.legend(loc="upper left", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The unpenalised critic is a steep cliff between the two clouds with huge values; the penalised
# one is a gentle ramp of slope about 1 along the direction from fake to real, which is exactly
# the kind of function whose gap measures the Wasserstein distance.
