"""The Tensor contract: creation and dtypes, array attributes, factories and seeding, what
requires grad and what does not, ``no_grad``, and the checks ``backward`` makes."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor


# ----------------------------------------------------------------------------- creation
@pytest.mark.parametrize("data, dtype, shape", [
    ([1.0, 2.0], np.float32, (2,)),
    ([[1.5], [2.5]], np.float32, (2, 1)),
    (2.5, np.float32, ()),
    ([1, 2, 3], np.int64, (3,)),
    (7, np.int64, ()),
    ([True, False], np.bool_, (2,)),
    (True, np.bool_, ()),
    (np.arange(3.0), np.float64, (3,)),
    (np.ones((2, 2), dtype=np.float16), np.float16, (2, 2)),
    (np.arange(4, dtype=np.int32), np.int32, (4,)),
    (np.float64(1.5), np.float64, ()),
])
def test_creation_dtypes(data, dtype, shape):
    t = Tensor(data)
    assert isinstance(t.data, np.ndarray)
    assert t.dtype == dtype and t.shape == shape
    np.testing.assert_array_equal(t.data, np.asarray(data))


def test_numpy_arrays_are_wrapped_without_a_copy():
    a = np.arange(3.0)
    t = Tensor(a)
    assert t.data is a and t.numpy() is a and np.asarray(t) is a
    assert np.asarray(t, dtype=np.float32).dtype == np.float32


def test_explicit_dtype_and_tensor_input():
    t = Tensor([1, 2], dtype=np.float64)
    assert t.dtype == np.float64
    assert Tensor(t).dtype == np.float64
    assert ag.tensor([1.0], requires_grad=True, name="w").name == "w"


def test_object_data_is_refused():
    with pytest.raises(TypeError, match="Tensor"):
        Tensor([object()])


@pytest.mark.parametrize("data", [[1, 2], np.arange(3), [True, False], np.array([1], np.int8)])
def test_integer_and_bool_tensors_cannot_require_grad(data):
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(data, requires_grad=True)
    t = Tensor(data)
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad_()
    assert not t.requires_grad


# ----------------------------------------------------------------------------- attributes
def test_array_attributes():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t = Tensor(a, requires_grad=True, name="weights")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float32
    assert len(t) == 2 and t.name == "weights"
    assert t.grad is None and t.requires_grad and t.is_leaf and t.op is None and t.inputs == ()
    np.testing.assert_array_equal(t.T.data, a.T)
    assert t.T.op.name == "transpose"
    assert t.tolist() == a.tolist()
    with pytest.raises(TypeError, match="len"):
        len(Tensor(1.0))


def test_item_float_int_bool():
    assert Tensor([[2.5]]).item() == 2.5 and isinstance(Tensor([[2.5]]).item(), float)
    assert float(Tensor(1.5)) == 1.5 and int(Tensor(3)) == 3
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    with pytest.raises(ValueError, match=r"item.*\(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_repr_shows_values_dtype_op_and_name():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    leaf = Tensor(np.array([0.5]), requires_grad=True, name="w")
    assert repr(leaf) == "Tensor([0.5], dtype=float64, requires_grad=True, name='w')"
    assert "op=multiply" in repr(leaf * 2)


def test_results_record_their_op_and_inputs():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 3.0
    assert y.op.name == "multiply" and y.inputs == (x, 3.0) and not y.is_leaf
    assert y.requires_grad and y.grad is None


# ----------------------------------------------------------------------------- factories
@pytest.mark.parametrize("factory, expected", [
    (lambda **kw: ag.zeros(2, 3, **kw), np.zeros((2, 3))),
    (lambda **kw: ag.zeros((2, 3), **kw), np.zeros((2, 3))),
    (lambda **kw: ag.ones(4, **kw), np.ones(4)),
    (lambda **kw: ag.full((2, 2), 1.5, **kw), np.full((2, 2), 1.5)),
    (lambda **kw: ag.eye(3, **kw), np.eye(3)),
    (lambda **kw: ag.eye(2, 3, **kw), np.eye(2, 3)),
    (lambda **kw: ag.arange(0.0, 1.0, 0.25, **kw), np.arange(0.0, 1.0, 0.25)),
])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_deterministic_factories(factory, expected, requires_grad):
    t = factory(requires_grad=requires_grad)
    assert t.dtype == np.float32 and t.requires_grad == requires_grad and t.is_leaf
    np.testing.assert_array_equal(t.data, expected)


def test_arange_keeps_integers_and_accepts_dtype():
    assert ag.arange(5).dtype == np.int64
    np.testing.assert_array_equal(ag.arange(2, 5).data, [2, 3, 4])
    assert ag.arange(3, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("factory", [ag.rand, ag.randn])
def test_random_factories(factory):
    t = factory(200, 3, requires_grad=True)
    assert t.shape == (200, 3) and t.dtype == np.float32 and t.requires_grad
    assert factory((2, 2), dtype=np.float64).dtype == np.float64
    if factory is ag.rand:
        assert 0.0 <= t.data.min() and t.data.max() < 1.0
    else:
        assert abs(t.data.mean()) < 0.3 and 0.8 < t.data.std() < 1.2


@pytest.mark.parametrize("like, check", [
    (ag.zeros_like, lambda d: np.all(d == 0)), (ag.ones_like, lambda d: np.all(d == 1)),
    (ag.rand_like, lambda d: np.all((d >= 0) & (d < 1))),
    (ag.randn_like, lambda d: np.all(np.isfinite(d))),
    (lambda x, **kw: ag.full_like(x, 7.0, **kw), lambda d: np.all(d == 7)),
])
def test_like_factories_copy_shape_and_dtype(like, check):
    source = Tensor(np.ones((2, 3), dtype=np.float64))
    t = like(source, requires_grad=True)
    assert t.shape == (2, 3) and t.dtype == np.float64 and t.requires_grad and check(t.data)
    assert like(source.data).shape == (2, 3)
    assert like(source, dtype=np.float32).dtype == np.float32


def test_seed_makes_random_tensors_reproducible():
    ag.seed(123)
    first = (ag.randn(5).data, ag.rand(2, 2).data)
    ag.seed(123)
    second = (ag.randn(5).data, ag.rand(2, 2).data)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    ag.seed(124)
    assert not np.array_equal(ag.randn(5).data, first[0])
    assert isinstance(ag.generator(), np.random.Generator)
    own = np.random.default_rng(5)
    np.testing.assert_array_equal(ag.randn(3, rng=own).data,
                                  np.random.default_rng(5).standard_normal(3).astype(np.float32))


# ----------------------------------------------------------------------------- only needed work
def test_inputs_that_do_not_require_grad_get_no_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = Tensor(np.array([3.0, 4.0]))
    out = (x * c + c.exp()).sum()
    out.backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, c.data)


def test_ops_on_constants_only_build_no_graph():
    c = Tensor(np.array([3.0, 4.0]))
    y = (c * 2).exp().sum()
    assert not y.requires_grad and y.op is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_records_nothing():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with ag.no_grad():
        y = (x * x).sum()
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            z = (x * x).sum()
    assert y.op is None and not y.requires_grad and y.inputs == ()
    assert z.op is not None and z.requires_grad
    np.testing.assert_allclose(y.data, 5.0)


def test_no_grad_as_a_decorator():
    @ag.no_grad()
    def double(t):
        return t * 2

    out = double(Tensor(np.ones(2), requires_grad=True))
    assert out.op is None and ag.is_grad_enabled()


def test_detach_cuts_the_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    tripled = x * 3
    y = tripled.detach()
    assert y.is_leaf and not y.requires_grad and y.op is None
    assert y.data is tripled.data
    np.testing.assert_array_equal(y.data, [3.0, 6.0])


# ----------------------------------------------------------------------------- backward checks
def test_wrong_shape_gradient_is_rejected():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    for bad in (np.ones((3, 2)), np.ones(6), Tensor(np.ones((2,)))):
        with pytest.raises(ValueError, match=r"backward.*\(2, 3\)"):
            y.backward(bad)


def test_non_scalar_backward_needs_a_gradient():
    y = Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\)"):
        y.backward()


def test_non_numeric_gradient_is_rejected():
    y = Tensor(np.ones(2), requires_grad=True) * 2
    with pytest.raises(TypeError, match="numeric"):
        y.backward(np.array(["a", "b"]))


def test_gradient_matches_data_dtype_and_shape():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    (x * 2).backward(np.ones((2, 3), dtype=np.float64))
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)


def test_gradients_accumulate_until_zeroed():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data + 3)
    x.zero_grad()
    assert x.grad is None


def test_create_graph_gives_tensor_gradients():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)
    (second,) = [ag.gradients(x.grad.sum(), x)]
    np.testing.assert_allclose(second, 6 * x.data)


def test_retain_grad_keeps_an_interior_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * 2).retain_grad()
    z = x * 5
    (y * z).sum().backward()
    np.testing.assert_allclose(y.grad, z.data)
    assert z.grad is None
