"""``gradcheck`` and ``gradgradcheck`` accept correct derivatives and report wrong ones precisely:
the input, the element, and both numbers."""
import re

import numpy as np
import pytest
from hypothesis import given

import autograd as ag
from autograd import Tensor, Value
from autograd.testing import arrays, scalars


def _parse(message):
    """(output part, input index, element, analytic, numerical) from a GradcheckError message."""
    match = re.search(r"d\((.*?)\) / d\(input (\d+)\)(\[[\d, ]*\])?: analytic (\S+), numerical (\S+) ", message)
    assert match, message
    out, index, element, analytic, numerical = match.groups()
    return out, int(index), element, float(analytic), float(numerical)


# --------------------------------------------------------------------------- correct functions pass


@given(a=scalars(-2, 2), b=scalars(0.5, 3))
def test_correct_value_functions_pass(a, b):
    def f(x, y):
        return (x * y).sin() + x.exp() / y + (y ** x)

    assert ag.gradcheck(f, [a, b]) is True
    assert ag.gradgradcheck(f, [a, b]) is True
    assert ag.gradcheck(f, [Value(a), Value(b)]) is True  # Values are accepted as inputs too


def test_value_function_with_several_outputs():
    def f(x, y):
        return [x * y, (x - y).tanh(), Value(2.0, requires_grad=False)]

    assert ag.gradcheck(f, [0.4, -1.3])
    assert ag.gradgradcheck(f, [0.4, -1.3])


@given(x=arrays(shape=(2, 3), min_value=-2, max_value=2), w=arrays(shape=(3, 2), min_value=-2, max_value=2))
def test_correct_tensor_functions_pass(x, w):
    def f(a, b):
        return ((a @ b).tanh() * a.sum(axis=1, keepdims=True)).exp()

    assert ag.gradcheck(f, [x, w])
    assert ag.gradgradcheck(f, [x, w])


def test_large_tensor_outputs_are_checked_through_projections():
    x = np.linspace(-1, 1, 120).reshape(10, 12)
    assert ag.gradcheck(lambda t: t.sin() * t, [x])
    assert ag.gradgradcheck(lambda t: (t * t).tanh(), [x[:3]])


def test_float32_inputs_are_checked_in_float64():
    x = Tensor(np.array([0.1, 0.2], dtype=np.float32))
    assert ag.gradcheck(lambda t: (t * 1e-3).exp() * 1e3, [x])  # float32 would lose this


# --------------------------------------------------------------------------- wrong VJPs are caught


@ag.primitive
def product_with_wrong_second_vjp(x, y):
    return x * y


product_with_wrong_second_vjp.defvjp(lambda g, ans, x, y: g * y,
                                     lambda g, ans, x, y: g * x * 2)  # should be g * x


def test_wrong_vjp_names_input_element_and_both_values():
    x, y = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    with pytest.raises(ag.GradcheckError) as caught:
        ag.gradcheck(product_with_wrong_second_vjp, [x, y])
    message = str(caught.value)
    out, index, element, analytic, numerical = _parse(message)
    assert index == 1 and element == "[0]" and out == "output element 0"
    assert analytic == pytest.approx(2 * x[0]) and numerical == pytest.approx(x[0], rel=1e-6)
    assert "gradcheck:" in message and "eps=1e-06" in message


def test_wrong_vjp_on_a_matrix_element():
    @ag.primitive
    def square_with_wrong_vjp(x):
        return x * x

    def wrong(g, ans, x):  # right everywhere except one element
        grad = 2 * g * x
        mask = np.zeros(x.shape)
        mask[1, 2] = 1.0
        return grad + g * mask * 10

    square_with_wrong_vjp.defvjp(wrong)
    x = np.arange(6.0).reshape(2, 3) / 4
    with pytest.raises(ag.GradcheckError) as caught:
        ag.gradcheck(lambda t: square_with_wrong_vjp(t).sum(), [x])
    out, index, element, analytic, numerical = _parse(str(caught.value))
    assert (index, element) == (0, "[1, 2]")
    assert analytic == pytest.approx(2 * x[1, 2] + 10) and numerical == pytest.approx(2 * x[1, 2], rel=1e-6)


def test_wrong_vjp_with_a_large_output_reports_a_random_projection():
    @ag.primitive
    def halve_wrongly(x):
        return x / 2

    halve_wrongly.defvjp(lambda g, ans, x: g)  # should be g / 2
    with pytest.raises(ag.GradcheckError, match=r"random projection \d of the output\) / d\(input 0\)\[0, 0\]"):
        ag.gradcheck(halve_wrongly, [np.ones((10, 10))])


def test_gradient_changed_by_a_hook_is_caught_on_values():
    def f(x):
        x.register_hook(lambda g: g * 2)  # doubles the gradient: analytic 2 * 2x, numerical 2x
        return x * x

    with pytest.raises(ag.GradcheckError) as caught:
        ag.gradcheck(f, [1.5])
    out, index, element, analytic, numerical = _parse(str(caught.value))
    assert (index, element) == (0, None)
    assert analytic == pytest.approx(6.0) and numerical == pytest.approx(3.0, rel=1e-6)


@ag.primitive
def cube_with_constant_slope(x):
    return x ** 3


def _slope_from_raw_data(g, ans, x):
    # 3 x^2 computed with numpy from the operand's data: the right number, but a constant to the
    # graph, so under create_graph the gradient no longer depends on x (the 6 x term is lost)
    data = x.data if isinstance(x, Tensor) else x
    return g * (3 * np.square(data))


cube_with_constant_slope.defvjp(_slope_from_raw_data)


@ag.primitive
def cube(x):
    return x ** 3


cube.defvjp(lambda g, ans, x: g * 3 * x * x)


def test_second_order_check_catches_a_vjp_that_is_not_differentiable():
    x = np.array([0.5, -1.5, 2.0])
    assert ag.gradcheck(cube_with_constant_slope, [x])  # first order is right
    with pytest.raises(ag.GradcheckError) as caught:
        ag.gradgradcheck(cube_with_constant_slope, [x])
    out, index, element, analytic, numerical = _parse(str(caught.value))
    assert index == 0 and element == "[0]"
    assert analytic == 0.0 and numerical != pytest.approx(0.0, abs=1e-3)
    # the same op with its VJP written in differentiable operations passes both checks
    assert ag.gradcheck(cube, [x]) and ag.gradgradcheck(cube, [x])


def test_grad_outputs_are_used_by_gradgradcheck():
    x = np.array([0.5, -1.5])
    assert ag.gradgradcheck(cube, [x], grad_outputs=np.array([2.0, -1.0]))
    with pytest.raises(ag.GradcheckError):
        ag.gradgradcheck(cube_with_constant_slope, [x], grad_outputs=np.array([2.0, -1.0]))


# --------------------------------------------------------------------------- usage errors


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(ag.GradcheckError, AssertionError)


def test_function_must_return_graph_objects():
    with pytest.raises(TypeError, match="must return Values or Tensors, got float"):
        ag.gradcheck(lambda x: 1.0, [0.5])


def test_gradgradcheck_of_outputs_that_do_not_depend_on_the_inputs():
    with pytest.raises(ag.GradcheckError, match="outputs do not depend on the inputs"):
        ag.gradgradcheck(lambda x: Value(1.0, requires_grad=False), [0.5])


def test_tolerances_are_honoured():
    @ag.primitive
    def slightly_off(x):
        return x * 2

    slightly_off.defvjp(lambda g, ans, x: g * 2.01)  # 0.5 % off
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(slightly_off, [np.ones(2)])
    assert ag.gradcheck(slightly_off, [np.ones(2)], rtol=1e-2)
