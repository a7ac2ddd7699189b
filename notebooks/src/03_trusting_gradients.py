# %% [markdown]
# # 3. Trusting gradients: `gradcheck`, custom ops and property tests
#
# A wrong gradient rarely crashes anything. Training just gets slower, or stalls, or reaches a
# worse model, and nothing points at the cause. So every derivative in lucidgrad is checked
# against an independent computation, and this notebook shows the tools to do the same for your
# own code:
#
# 1. finite differences, and why they are computed in float64;
# 2. `autograd.gradcheck` (first derivatives) and `autograd.gradgradcheck` (second derivatives);
# 3. writing a new differentiable op with `autograd.primitive` and `defvjp`;
# 4. property-testing it with `hypothesis` and the strategies in `autograd.testing`;
# 5. what it looks like when a property test catches a wrong derivative.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor, Value, testing

SMALL = os.environ.get("LUCIDGRAD_NOTEBOOK_BUDGET", "full") == "small"
np.set_printoptions(precision=4, suppress=True)
EXAMPLES = 15 if SMALL else 200   # hypothesis examples per property test

# Property tests inside a notebook: deterministic, with no example database written to disk, and
# without the "explain" phase (it reports source lines of the library, which we don't need here).
def notebook_settings(max_examples):
    return settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink])

# %% [markdown]
# ## 1. Finite differences
#
# The derivative is the limit of $(f(x + h) - f(x - h)) / 2h$ as $h \to 0$. On a computer $h$
# cannot go to zero: the *truncation* error of the formula shrinks like $h^2$, but the *rounding*
# error of subtracting two nearly equal numbers grows like $\varepsilon / h$, where $\varepsilon$ is
# the machine precision. The best $h$ balances the two, around $\varepsilon^{1/3}$. Here is the
# error of the central difference of $e^x$ at $x = 1$ in both precisions:

# %%
hs = np.logspace(-12, 0, 49)
exact = np.exp(1.0)
errors = {}
for dtype in (np.float32, np.float64):
    x = dtype(1.0)
    errors[dtype.__name__] = [abs(float((np.exp(x + dtype(h)) - np.exp(x - dtype(h))) / (2 * dtype(h))) - exact)
                              for h in hs]

plt.figure(figsize=(5.5, 3.5))
for name, err in errors.items():
    plt.loglog(hs, np.maximum(err, 1e-17), label=name)
plt.xlabel("step h")
plt.ylabel("|finite difference - exact|")
plt.title("central difference of exp at 1")
plt.legend()
plt.show()
at_1e6 = int(np.argmin(abs(hs - 1e-6)))
for name, err in errors.items():
    best = int(np.argmin(err))
    print(f"{name}: best h = {hs[best]:.0e} with error {err[best]:.1e};  at h = 1e-6 the error is {err[at_1e6]:.1e}")

# %% [markdown]
# In float32 the useful range of $h$ is narrow and the error never gets much below $10^{-5}$; at
# $h = 10^{-6}$ it is already about 1% of the answer, which would drown any small bug in noise. In
# float64 a wide range of steps gives errors near $10^{-10}$. That is why `gradcheck` copies every
# input to **float64** and uses $h = 10^{-6}$, comparing with a relative tolerance of $10^{-3}$ and an absolute one of $10^{-5}$.
#
# ## 2. `gradcheck` and `gradgradcheck`
#
# `gradcheck(f, inputs)` computes the full Jacobian of `f` twice, once with backward passes and
# once with finite differences, and compares them element by element. It returns `True` or raises
# a `GradcheckError` naming the output element, the input element, and both values. It works for
# scalar functions of `Value`s as well as for tensor functions:

# %%
def scalar_function(x, y):
    return (x * y).sin() + x.exp() / y


print("scalar function:    ", autograd.gradcheck(scalar_function, [0.7, -1.3]))


def dense_tanh(W, x):
    return autograd.tanh(x @ W)


rng = np.random.default_rng(0)
W0, x0 = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
print("tanh(x @ W):        ", autograd.gradcheck(dense_tanh, [W0, x0]))


def cross_entropy(logits, labels):
    """Mean negative log-probability of the right class."""
    return -(autograd.log_softmax(logits, axis=-1) * labels).sum() / logits.shape[0]


labels = np.eye(3)[[0, 2, 1, 2]]
print("softmax cross-entropy:", autograd.gradcheck(lambda z: cross_entropy(z, labels), rng.normal(size=(4, 3))))

# %% [markdown]
# `gradgradcheck` does the same for the derivative of the derivative: it builds the gradient with
# `create_graph=True` (so the gradient is itself a graph) and runs `gradcheck` on the map from the
# inputs to that gradient. Higher-order methods (notebook 7) depend on it.

# %%
print("scalar function:    ", autograd.gradgradcheck(scalar_function, [0.7, -1.3]))
print("tanh(x @ W):        ", autograd.gradgradcheck(dense_tanh, [W0, x0]))
print("softmax cross-entropy:", autograd.gradgradcheck(lambda z: cross_entropy(z, labels), rng.normal(size=(4, 3))))

# %% [markdown]
# ### Where finite differences cannot judge
#
# At a kink the derivative does not exist, and the engine uses a *subgradient* (documented in
# `autograd/value.py`): `relu'(0) = 0`. The central difference at 0 straddles the kink and reports
# the average slope, 0.5. Neither is wrong, they just answer different questions, which is why the
# property tests below keep their inputs away from kinks.

# %%
try:
    autograd.gradcheck(autograd.relu, np.array([-1.0, 0.0, 2.0]))
except autograd.GradcheckError as err:
    print(err)
print("away from 0:", autograd.gradcheck(autograd.relu, np.array([-1.0, 0.01, 2.0])))

# %% [markdown]
# ## 3. A custom op: swish
#
# The swish activation (also called SiLU) is $\operatorname{swish}(x) = x\,\sigma(x)$ with $\sigma$
# the logistic sigmoid. Composing existing ops, `x * autograd.sigmoid(x)`, already works; writing
# it as **one** op saves a graph node and lets us state its derivative directly:
#
# $$\operatorname{swish}'(x) = \sigma(x) + x\,\sigma(x)(1 - \sigma(x)) = \sigma(x) + \operatorname{swish}(x)\,(1 - \sigma(x)).$$
#
# `@autograd.primitive` turns a numpy function into an op; `defvjp` attaches one vector-Jacobian
# product per operand, `vjp(g, ans, x)`, with `g` the gradient of the output and `ans` the output.
# The VJP is written with `autograd` functions and operators rather than `np.` calls: in an ordinary
# backward pass it then runs on numpy arrays, and under `create_graph=True` the same code runs on
# Tensors and is itself differentiable, so second derivatives come for free.

# %%
@autograd.primitive
def swish(x):
    """x * sigmoid(x), using sigmoid(x) = (1 + tanh(x / 2)) / 2 (no overflow for large |x|)."""
    return x * 0.5 * (1 + np.tanh(0.5 * x))


def swish_vjp(g, ans, x):
    s = autograd.sigmoid(x)
    return g * (s + ans * (1 - s))


swish.defvjp(swish_vjp)

x = Tensor([-3.0, -0.5, 0.0, 0.5, 3.0], requires_grad=True)
y = swish(x)
y.sum().backward()
print("swish:     ", y)
print("derivative:", x.grad)
print("same values as the composite x * sigmoid(x):",
      np.allclose(y.data, (x * autograd.sigmoid(x)).data, atol=1e-6))
print("first derivatives: ", autograd.gradcheck(swish, x))
print("second derivatives:", autograd.gradgradcheck(swish, x))

# %% [markdown]
# An op may take several differentiable operands, and then broadcasting enters: the gradient of an
# operand must have that operand's shape, so each VJP sums over broadcast axes with `unbroadcast`.
# A swish with a learnable slope, $x\,\sigma(\beta x)$:
#
# $$\frac{\partial}{\partial x} = \sigma(\beta x) + \beta x\,\sigma(\beta x)(1-\sigma(\beta x)), \qquad
#   \frac{\partial}{\partial \beta} = x^2\,\sigma(\beta x)(1-\sigma(\beta x)).$$

# %%
from autograd import unbroadcast


@autograd.primitive
def swish_beta(x, beta):
    """x * sigmoid(beta * x), broadcasting x against beta."""
    return x * 0.5 * (1 + np.tanh(0.5 * beta * x))


def _sigmoid_slope(x, beta):
    s = autograd.sigmoid(beta * x)
    return s, s * (1 - s)


swish_beta.defvjp(
    lambda g, ans, x, beta: unbroadcast(g * (_sigmoid_slope(x, beta)[0] + beta * x * _sigmoid_slope(x, beta)[1]), x.shape),
    lambda g, ans, x, beta: unbroadcast(g * x * x * _sigmoid_slope(x, beta)[1], beta.shape))

x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
beta = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)   # one slope per column
swish_beta(x, beta).sum().backward()
print("x.grad shape", x.grad.shape, " beta.grad shape", beta.grad.shape)
print(autograd.gradcheck(swish_beta, [x, beta]), autograd.gradgradcheck(swish_beta, [x, beta]))

# %% [markdown]
# ## 4. Property tests with hypothesis
#
# A gradcheck at one hand-picked point tests one point. A property test states what must hold for
# *every* input ("the derivatives match finite differences") and lets `hypothesis` search for a
# counterexample: it generates many inputs, biased towards edge cases (zeros, extremes, tiny
# shapes), and when one fails it *shrinks* it to the simplest failing input it can find.
#
# `autograd.testing` provides strategies for the engine: `arrays` and `tensors` (float64 by
# default, values in a range, optionally kept away from kinks with `avoid=`), `shapes`,
# `broadcastable_shapes`, `axes`, index strategies, and `check_gradients(f, *inputs, order=2)`,
# which runs `gradcheck` and `gradgradcheck`. We call the decorated test function directly, which
# is all a test runner such as pytest would do.

# %%
@notebook_settings(EXAMPLES)
@given(testing.arrays(shape=testing.shapes(max_dims=3, max_side=4), min_value=-8, max_value=8))
def test_swish_derivatives(x):
    testing.check_gradients(swish, Tensor(x), order=2)


@st.composite
def broadcasting_pairs(draw):
    x_shape, beta_shape = draw(testing.broadcastable_shapes(2, max_dims=3, max_side=3))
    return draw(testing.arrays(x_shape, min_value=-4, max_value=4)), draw(testing.arrays(beta_shape, min_value=-3, max_value=3))


@notebook_settings(EXAMPLES)
@given(broadcasting_pairs())
def test_swish_beta_derivatives(pair):
    x, beta = pair
    testing.check_gradients(swish_beta, Tensor(x), Tensor(beta), order=2)


test_swish_derivatives()
test_swish_beta_derivatives()
print(f"both property tests passed ({EXAMPLES} examples each)")

# %% [markdown]
# ## 5. When the derivative is wrong
#
# Now a realistic bug. Suppose someone "optimises" the VJP: for large $|x|$ swish is almost $x$ (for
# $x > 0$) or almost $0$ (for $x < 0$), so they return the slope 1 or 0 there and skip the
# sigmoid. It sounds harmless, and a spot check at an ordinary point passes:

# %%
def hasty_swish_vjp(g, ans, x):
    s = autograd.sigmoid(x)
    exact = g * (s + ans * (1 - s))
    shortcut = g * (x > 0)                      # slope 1 on the right, 0 on the left
    return autograd.where(autograd.abs(x) > 5, shortcut, exact)


@autograd.primitive
def hasty_swish(x):
    """swish with a shortcut in its derivative (wrong for |x| > 5)."""
    return x * 0.5 * (1 + np.tanh(0.5 * x))


hasty_swish.defvjp(hasty_swish_vjp)
print("spot check at [-1, 0.5, 2]:", autograd.gradcheck(hasty_swish, np.array([-1.0, 0.5, 2.0])))

# %% [markdown]
# The property test finds the bad region, and the shrinking reports the simplest input that still
# fails. The `GradcheckError` says which element of which input is wrong, and by how much.

# %%
@notebook_settings(300)
@given(testing.arrays(shape=testing.shapes(min_dims=1, max_dims=2, max_side=4), min_value=-8, max_value=8))
def test_hasty_swish_derivatives(x):
    try:
        testing.check_gradients(hasty_swish, Tensor(x), order=1)
    except autograd.GradcheckError:
        failing_inputs.append(x)    # hypothesis replays the shrunk example last
        raise


failing_inputs = []


try:
    test_hasty_swish_derivatives()
    print("no counterexample found")
except autograd.GradcheckError as err:
    print("GradcheckError:", err)
    print()
    for note in getattr(err, "__notes__", []):   # hypothesis attaches the shrunk example here
        print(note)

# %% [markdown]
# Read the report: at the shrunk input the analytic derivative (from the shortcut) and the
# numerical one disagree in the listed element, and hypothesis has cut the array down to the
# fewest, simplest numbers that still fail, right past the `|x| > 5` threshold. Compare with the
# true derivative there:

# %%
x_bad = failing_inputs[-1]
s = 1 / (1 + np.exp(-x_bad))
print("shrunk input:   ", x_bad)
print("true swish'(x): ", s + x_bad * s * (1 - s))
print("shortcut slope: ", (x_bad > 0).astype(float))

# %% [markdown]
# Fixing the VJP (or deleting the shortcut) makes the same property test pass. The workflow for any
# new op is therefore: write the forward in numpy, write the VJP with `autograd` functions, then
# `gradcheck`, `gradgradcheck` and a property test over the input range you care about.
