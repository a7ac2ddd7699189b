"""User-defined differentiable functions with ``autograd.primitive`` + ``defvjp`` and
``primitive_vjp_all``: forward, first and second derivatives, and that only the VJPs that are
needed run."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from autograd.ops.shape import unbroadcast
from op_cases import PAIR_SHAPES, PROPERTY, SHAPES


@ag.primitive
def cube(x):
    """x ** 3."""
    return x * x * x


cube.defvjp(lambda g, ans, x: g * 3 * x * x)


@ag.primitive
def scaled_exp(x, y):
    """x * exp(y), broadcasting."""
    return x * np.exp(y)


scaled_exp.defvjp(lambda g, ans, x, y: unbroadcast(g * ag.exp(y), x.shape),
                  lambda g, ans, x, y: unbroadcast(g * ans, y.shape))


@ag.primitive(name="soft_clip")
def soft_clip(x, scale=1.0):
    """scale * tanh(x / scale), ``scale`` a keyword parameter."""
    return scale * np.tanh(x / scale)


soft_clip.defvjp(lambda g, ans, x, scale=1.0: g * (1 - (ans / scale) ** 2))


def _product_forward(*xs):
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _product_vjp_all(g, ans, args, needs):
    grads = []
    for i in needs:
        others = g
        for j, x in enumerate(args):
            if j != i:
                others = others * x
        grads.append(others)
    return grads


product = ag.primitive_vjp_all(_product_forward, _product_vjp_all, name="product")


# ----------------------------------------------------------------------------- derivatives
@PROPERTY
@given(a=testing.arrays(SHAPES, min_value=-2, max_value=2))
def test_cube(a):
    out = cube(Tensor(a, requires_grad=True))
    assert out.op is cube.op and out.op.name == "cube"
    np.testing.assert_allclose(out.data, a ** 3)
    ag.gradcheck(cube, [a])
    ag.gradgradcheck(cube, [a])


@PROPERTY
@given(shapes=PAIR_SHAPES, data=st.data())
def test_two_operand_op_with_broadcasting(shapes, data):
    x = data.draw(testing.arrays(shapes[0], min_value=-2, max_value=2))
    y = data.draw(testing.arrays(shapes[1], min_value=-2, max_value=2))
    np.testing.assert_allclose(scaled_exp(Tensor(x), Tensor(y)).data, x * np.exp(y))
    ag.gradcheck(scaled_exp, [x, y])
    ag.gradgradcheck(scaled_exp, [x, y])


@PROPERTY
@given(a=testing.arrays(SHAPES, min_value=-3, max_value=3), scale=st.floats(0.5, 3.0))
def test_keyword_parameters_reach_the_vjp(a, scale):
    out = soft_clip(Tensor(a), scale=scale)
    np.testing.assert_allclose(out.data, scale * np.tanh(a / scale))
    testing.check_gradients(lambda t: soft_clip(t, scale=scale), a, order=2)


@PROPERTY
@given(shape=SHAPES, count=st.integers(1, 4), data=st.data())
def test_n_operand_op_via_vjp_all(shape, count, data):
    arrays = [data.draw(testing.arrays(shape, min_value=-2, max_value=2)) for _ in range(count)]
    out = product(*[Tensor(a) for a in arrays])
    np.testing.assert_allclose(out.data, np.prod(np.stack(arrays), axis=0))
    testing.check_gradients(product, *arrays, order=2)


def test_vjp_all_gets_only_the_needed_operands():
    seen = []

    def vjp_all(g, ans, args, needs):
        seen.append(tuple(needs))
        return [g for _ in needs]

    total = ag.primitive_vjp_all(lambda *xs: sum(xs), vjp_all, name="total")
    a, b, c = (Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2)),
               Tensor(np.ones(2), requires_grad=True))
    total(a, b, c, 5.0).sum().backward()
    assert seen == [(0, 2)]
    assert b.grad is None
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])


# ----------------------------------------------------------------------------- only needed work
@ag.primitive
def fragile(x, y):
    """x * y whose VJP for y must never run."""
    return x * y


def _refuse(g, ans, x, y):
    raise AssertionError("the VJP of an operand that does not require grad was called")


fragile.defvjp(lambda g, ans, x, y: unbroadcast(g * y, x.shape), _refuse)


@pytest.mark.parametrize("y", [Tensor(np.array([2.0, 3.0])), np.array([2.0, 3.0]), 2.0],
                         ids=["tensor_without_grad", "array", "python_float"])
def test_vjp_of_an_operand_without_grad_is_not_called(y):
    x = Tensor(np.array([1.0, 4.0]), requires_grad=True)
    out = fragile(x, y)
    assert out.requires_grad
    out.sum().backward()
    y_data = y.data if isinstance(y, Tensor) else y
    np.testing.assert_array_equal(x.grad, np.broadcast_to(y_data, (2,)))
    if isinstance(y, Tensor):
        assert y.grad is None


def test_the_refusing_vjp_does_run_when_its_operand_requires_grad():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = Tensor(np.array([2.0]), requires_grad=True)
    with pytest.raises(AssertionError, match="does not require grad"):
        fragile(x, y).sum().backward()


def test_under_no_grad_a_custom_op_records_nothing():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with ag.no_grad():
        out = cube(x)
    assert out.op is None and not out.requires_grad
    np.testing.assert_array_equal(out.data, [1.0, 8.0])


def test_without_tensors_a_primitive_is_plain_numpy():
    out = cube(np.array([2.0, 3.0]))
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [8.0, 27.0])
    assert cube.__doc__ == "x ** 3."


def test_a_wrong_custom_vjp_is_caught_by_gradcheck():
    @ag.primitive
    def bad_cube(x):
        return x ** 3

    bad_cube.defvjp(lambda g, ans, x: g * 3 * x)  # should be 3 x^2
    with pytest.raises(ag.GradcheckError, match="analytic"):
        ag.gradcheck(bad_cube, [np.array([0.5, 2.0])])
