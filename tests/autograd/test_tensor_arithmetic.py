"""Arithmetic operators and maximum/minimum with broadcasting: forward against numpy, first and
second derivatives against finite differences (from ``op_cases.BINARY``), constants and numpy
objects on either side, powers, ties, dtypes and shape errors."""
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import BINARY, DIVISOR_MARGIN, PAIR_SHAPES, PROPERTY, SHAPES, distinct_arrays


def draw_operands(case, shapes, data):
    """Arrays of the two shapes inside ``case``'s smooth domain."""
    x_shape, y_shape = shapes
    if case.distinct:
        # maximum/minimum have a kink where x == y: no two elements closer than 0.4.
        return data.draw(distinct_arrays([x_shape, y_shape]))
    x = data.draw(testing.arrays(x_shape, min_value=case.x_range[0], max_value=case.x_range[1]))
    y = data.draw(testing.arrays(y_shape, min_value=case.y_range[0], max_value=case.y_range[1],
                                 avoid=case.y_avoid, margin=DIVISOR_MARGIN))
    return x, y


@pytest.mark.parametrize("case", BINARY, ids=repr)
@PROPERTY
@given(shapes=PAIR_SHAPES, data=st.data())
def test_forward_matches_numpy(case, shapes, data):
    x, y = draw_operands(case, shapes, data)
    out = case.op(Tensor(x), Tensor(y))
    expected = case.reference(x, y)
    assert out.shape == expected.shape == np.broadcast_shapes(*shapes)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("case", BINARY, ids=repr)
@PROPERTY
@given(shapes=PAIR_SHAPES, data=st.data())
def test_first_and_second_derivatives(case, shapes, data):
    x, y = draw_operands(case, shapes, data)
    testing.check_gradients(case.op, x, y, order=2)


@pytest.mark.parametrize("case", BINARY, ids=repr)
@PROPERTY
@given(shapes=PAIR_SHAPES, data=st.data(), which=st.sampled_from([0, 1]))
def test_only_the_operand_that_requires_grad_gets_a_gradient(case, shapes, data, which):
    x, y = draw_operands(case, shapes, data)
    operands = [Tensor(x), Tensor(y)]
    operands[which] = Tensor(operands[which].data, requires_grad=True)
    out = case.op(*operands)
    seed = np.ones(out.shape)
    out.backward(seed)
    assert operands[1 - which].grad is None
    assert operands[which].grad.shape == operands[which].shape

    # The gradient that did flow is the one of the function of that operand alone.
    constant = operands[1 - which].data

    def of_one(t):
        return case.op(t, constant) if which == 0 else case.op(constant, t)
    testing.check_gradients(of_one, operands[which].data, order=2)


# ----------------------------------------------------------------------------- constants
OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("fn", OPERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("constant", [2.5, 2, np.float32(2.5), np.float64(1.5), np.array(1.5),
                                      np.array([1.5, 2.0, 0.5])],
                         ids=["float", "int", "np.float32", "np.float64", "0d_array", "array"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_constants_on_either_side_give_tensors(fn, constant, side):
    def apply(operand):
        return fn(constant, operand) if side == "left" else fn(operand, constant)

    data = np.array([0.5, 1.25, 2.0])
    x = Tensor(data, requires_grad=True)
    out = apply(x)
    assert isinstance(out, Tensor), type(out)
    np.testing.assert_allclose(out.data, apply(data), rtol=1e-12)

    out.sum().backward()
    step = 1e-6
    numerical = [(np.sum(apply(data + step * e)) - np.sum(apply(data - step * e))) / (2 * step)
                 for e in np.eye(3)]
    np.testing.assert_allclose(x.grad, numerical, rtol=1e-6)


@pytest.mark.parametrize("expression", [
    lambda t: np.float32(2) * t, lambda t: np.float64(2) - t, lambda t: np.ones(3) + t,
    lambda t: np.full(3, 2.0) / t, lambda t: np.full(3, 2.0) ** t, lambda t: np.ones((2, 3)) @ t,
    lambda t: np.int64(3) * t,
], ids=["f32_mul", "f64_sub", "array_add", "array_div", "array_pow", "array_matmul", "i64_mul"])
def test_numpy_objects_on_the_left_defer_to_tensor(expression):
    x = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    out = expression(x)
    assert isinstance(out, Tensor)
    assert out.requires_grad
    np.testing.assert_allclose(out.data, expression(x.data))


def test_float32_tensor_with_python_number_stays_float32():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for out in (x + 1.5, 2 * x, x / 3, 1 - x, x ** 2, 2.0 ** x):
        assert out.dtype == np.float32


def test_mixed_precision_gradients_have_each_operands_dtype():
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0], dtype=np.float64), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, [3.0, 4.0])
    np.testing.assert_allclose(b.grad, [1.0, 2.0])


def test_reusing_a_tensor_accumulates_its_gradient():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)


def test_broadcast_gradient_is_summed_over_the_stretched_axes():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    row = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    scalar = Tensor(np.array(2.0), requires_grad=True)
    (x * row * scalar).sum().backward()
    np.testing.assert_allclose(row.grad, x.data.sum(axis=0, keepdims=True) * 2.0)
    np.testing.assert_allclose(scalar.grad, np.sum(x.data * row.data))
    assert row.grad.shape == (1, 3) and scalar.grad.shape == ()


# ----------------------------------------------------------------------------- powers
@PROPERTY
@given(shape=SHAPES, exponent=st.integers(-3, 4), data=st.data())
def test_integer_exponents_on_any_base(shape, exponent, data):
    # Negative exponents blow up at 0: keep bases 0.3 away from it.
    a = data.draw(testing.arrays(shape, min_value=-3, max_value=3, avoid=(0.0,), margin=0.3))
    np.testing.assert_allclose((Tensor(a) ** exponent).data, a ** float(exponent), rtol=1e-12)
    testing.check_gradients(lambda t: t ** exponent, a, order=2)


@PROPERTY
@given(shape=SHAPES, exponent=st.floats(-2.5, 2.5), data=st.data())
def test_real_exponents_on_positive_bases(shape, exponent, data):
    a = data.draw(testing.arrays(shape, min_value=0.2, max_value=3))
    np.testing.assert_allclose((Tensor(a) ** exponent).data, a ** exponent, rtol=1e-12)
    testing.check_gradients(lambda t: t ** exponent, a, order=2)


@PROPERTY
@given(shape=SHAPES, base=st.floats(0.2, 4.0), data=st.data())
def test_constant_base_tensor_exponent(shape, base, data):
    p = data.draw(testing.arrays(shape, min_value=-2, max_value=2))
    np.testing.assert_allclose((base ** Tensor(p)).data, base ** p, rtol=1e-12)
    testing.check_gradients(lambda t: base ** t, p, order=2)
    testing.check_gradients(lambda t: np.full(p.shape, base) ** t, p, order=2)


@pytest.mark.parametrize("expression", [lambda t: t ** np.array([2.0, 3.0, 0.5]),
                                        lambda t: np.array([2.0, 3.0, 0.5]) ** t,
                                        lambda t: np.float64(2.0) ** t],
                         ids=["array_exponent", "array_base", "numpy_scalar_base"])
def test_power_with_numpy_constants_to_second_order(expression):
    testing.check_gradients(expression, np.array([0.5, 1.5, 2.0]), order=2)


def test_power_gradients_explicit():
    x = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    p = Tensor(np.array([3.0, 0.5]), requires_grad=True)
    (x ** p).sum().backward()
    np.testing.assert_allclose(x.grad, p.data * x.data ** (p.data - 1))
    np.testing.assert_allclose(p.grad, x.data ** p.data * np.log(x.data))


# ----------------------------------------------------------------------------- ties
@pytest.mark.parametrize("op, x_wins", [(ag.maximum, [1.0, 0.5, 0.0]), (ag.minimum, [0.0, 0.5, 1.0])],
                         ids=["maximum", "minimum"])
def test_maximum_minimum_split_ties_in_half(op, x_wins):
    x = Tensor(np.array([3.0, 2.0, 1.0]), requires_grad=True)
    y = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    op(x, y).backward(np.array([1.0, 4.0, 1.0]))
    np.testing.assert_allclose(x.grad, np.array(x_wins) * [1.0, 4.0, 1.0])
    np.testing.assert_allclose(y.grad, (1 - np.array(x_wins)) * [1.0, 4.0, 1.0])


def test_maximum_tie_with_broadcast_scalar_collects_halves():
    x = Tensor(np.array([1.0, 2.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array(2.0), requires_grad=True)
    ag.maximum(x, y).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(y.grad, 1.0 + 0.5 + 0.5)


def test_relu_as_maximum_with_a_constant():
    x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    ag.maximum(x, 0.0).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 1.0])


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("fn, name", [(operator.add, "add"), (operator.sub, "subtract"),
                                      (operator.mul, "multiply"), (operator.truediv, "divide"),
                                      (operator.pow, "power"), (ag.maximum, "maximum"),
                                      (ag.minimum, "minimum")])
def test_incompatible_shapes_name_the_op_and_shapes(fn, name):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = Tensor(np.ones((4,)))
    with pytest.raises(ValueError, match=rf"{name}.*\(2, 3\).*\(4,\)"):
        fn(x, y)
