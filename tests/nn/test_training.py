"""``Model.compile/fit/evaluate/predict``: learning on toy data, the exact training step against a
hand-written numpy reference, History contents, validation, metrics, modes, progress output."""
import gc

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn.data import make_blobs, make_moons, to_categorical
from nn.training import metrics as metrics_module

# every test here trains: once with fit's steps captured and replayed, once eagerly
pytestmark = pytest.mark.usefixtures("fit_modes")


def small_mlp(inputs=2, hidden=16, classes=2, seed=0):
    nn.seed(seed)
    return nn.Sequential([nn.Dense(hidden, activation="relu", input_shape=(inputs,)),
                          nn.Dense(hidden, activation="relu"),
                          nn.Dense(classes, activation="softmax")])


def moons(n=400, seed=0):
    x, y = make_moons(n, noise=0.1, seed=seed)
    return x.astype(np.float32), y


# ---------------------------------------------------------------------- learning
def test_fit_learns_the_moons():
    x, y = moons()
    model = small_mlp()
    model.compile(optimizer=nn.optim.Adam(lr=0.02), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, to_categorical(y), epochs=30, batch_size=32, verbose=0, seed=0)
    assert history.history["accuracy"][-1] > 0.95
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    predicted = model.predict(x).argmax(axis=1)
    assert np.mean(predicted == y) > 0.95


def test_fit_learns_blobs_with_sparse_labels():
    x, y = make_blobs(300, centers=3, cluster_std=0.5, seed=1)
    model = small_mlp(classes=3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0, seed=0)
    assert history.history["acc"][-1] > 0.95
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy == pytest.approx(np.mean(model.predict(x).argmax(axis=1) == y))
    assert loss < 0.3


def test_fit_matches_a_hand_written_numpy_reference():
    """Two epochs of Dense(relu) -> Dense(softmax), cross-entropy and RMSprop, unshuffled:
    weights and per-epoch losses agree with a float64 numpy implementation of the same math."""
    rng = np.random.default_rng(0)
    x = rng.random((40, 6), dtype=np.float32)
    labels = rng.integers(0, 3, 40)
    y = to_categorical(labels, 3)
    nn.seed(1)
    model = nn.Sequential([nn.Dense(5, activation="relu", input_shape=(6,)),
                           nn.Dense(3, activation="softmax")])
    w1, b1, w2, b2 = (p.data.astype(np.float64) for p in model.parameters())
    lr, rho, eps = 0.01, 0.9, 1e-7
    model.compile(optimizer=nn.optim.RMSprop(lr=lr, rho=rho, eps=eps),
                  loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)

    params = [w1, b1, w2, b2]
    squares = [np.zeros_like(p) for p in params]
    epoch_losses = []
    for _ in range(2):
        total = 0.0
        for start in range(0, 40, 16):
            xb, yb = x[start:start + 16].astype(np.float64), y[start:start + 16]
            w1, b1, w2, b2 = params
            hidden = np.maximum(xb @ w1 + b1, 0)
            logits = hidden @ w2 + b2
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            total += -np.sum(yb * np.log(p))
            d_logits = (p - yb) / len(xb)
            d_hidden = (d_logits @ w2.T) * (hidden > 0)
            grads = [xb.T @ d_hidden, d_hidden.sum(0), hidden.T @ d_logits, d_logits.sum(0)]
            for param, grad, square in zip(params, grads, squares):
                square *= rho
                square += (1 - rho) * grad**2
                param -= lr * grad / (np.sqrt(square) + eps)
        epoch_losses.append(total / 40)

    for ours, reference in zip(model.parameters(), params):
        np.testing.assert_allclose(ours.data, reference, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(history.history["loss"], epoch_losses, rtol=1e-5)


def test_regularization_is_added_to_the_training_loss():
    x, y = moons(64)
    nn.seed(0)
    model = nn.Sequential([nn.Dense(3, activation="softmax", input_shape=(2,),
                                    kernel_regularizer=nn.regularizers.L2(0.5))])
    model.compile(optimizer=nn.optim.SGD(lr=0.0), loss="categorical_crossentropy")
    kernel = model.parameters()[0].data
    plain = nn.losses.categorical_crossentropy(to_categorical(y, 3), model.predict(x)).item()
    history = model.fit(x, to_categorical(y, 3), epochs=1, batch_size=64, verbose=0)
    expected = plain + 0.5 * float(np.sum(kernel.astype(np.float64) ** 2))
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert model.evaluate(x, to_categorical(y, 3), verbose=0) == pytest.approx(expected, rel=1e-5)


def test_regularization_gradient_shrinks_weights():
    x = np.zeros((8, 2), np.float32)
    y = to_categorical(np.arange(8) % 2, 2)
    nn.seed(0)
    model = nn.Sequential([nn.Dense(2, activation="softmax", input_shape=(2,), use_bias=False,
                                    kernel_regularizer=nn.regularizers.L2(1.0))])
    before = model.parameters()[0].data.copy()
    model.compile(optimizer=nn.optim.SGD(lr=0.1), loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    # zero inputs: the data term has no gradient, the penalty's is 2w, so w <- w - 0.2 w
    np.testing.assert_allclose(model.parameters()[0].data, 0.8 * before, rtol=1e-6)


# ---------------------------------------------------------------------- History and validation
def test_history_records_every_epoch():
    x, y = moons(100)
    model = small_mlp()
    model.compile(loss="categorical_crossentropy", metrics=["accuracy", "mse"])
    history = model.fit(x, to_categorical(y), epochs=3, batch_size=25, verbose=0,
                        validation_data=(x[:20], to_categorical(y[:20])))
    assert history is model.history
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "mse", "val_loss", "val_accuracy", "val_mse"}
    assert all(len(values) == 3 for values in history.history.values())
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    # the last validation numbers are those of the final weights
    val = model.evaluate(x[:20], to_categorical(y[:20]), verbose=0, return_dict=True)
    for name, value in val.items():
        assert history.history[f"val_{name}"][-1] == pytest.approx(value)


def test_validation_split_holds_out_the_last_samples():
    x, y = moons(100)
    y = to_categorical(y)
    model = small_mlp()
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    seen = []

    class Count(nn.training.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["size"])

    history = model.fit(x, y, epochs=1, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[Count()])
    assert sum(seen) == 75
    loss, accuracy = model.evaluate(x[75:], y[75:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(loss)
    assert history.history["val_accuracy"][0] == pytest.approx(accuracy)


def test_validation_split_must_leave_samples_on_both_sides():
    model = small_mlp()
    model.compile(loss="mse")
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(np.zeros((3, 2)), np.zeros((3, 2)), validation_split=0.9, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(np.zeros((3, 2)), np.zeros((3, 2)), validation_split=1.5, verbose=0)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = moons(50)
    y = to_categorical(y)
    model = small_mlp()
    model.compile(optimizer=nn.optim.SGD(lr=0.0), loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)


# ---------------------------------------------------------------------- reproducibility
def trained_weights(fit_seed, init_seed=0):
    x, y = moons(64)
    model = small_mlp(seed=init_seed)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, to_categorical(y), epochs=2, batch_size=8, verbose=0, seed=fit_seed)
    return [p.data.copy() for p in model.parameters()]


def test_fit_seed_fixes_the_batch_order():
    first, again, other = trained_weights(3), trained_weights(3), trained_weights(4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other))


def test_nn_seed_makes_fit_without_a_seed_reproducible():
    def run():
        model = small_mlp(seed=5)  # nn.seed(5) inside
        x, y = moons(64)
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(x, to_categorical(y), epochs=2, batch_size=8, verbose=0)
        return [p.data.copy() for p in model.parameters()]

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- modes and memory
class ModeProbe(nn.Module):
    """Records the training flag of every call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return x


def test_fit_trains_in_training_mode_and_validates_in_inference_mode():
    x, y = moons(40)
    probe = ModeProbe()
    nn.seed(0)
    model = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(2,)), probe,
                           nn.Dense(2, activation="softmax")])
    model.compile(loss="categorical_crossentropy")
    model.eval()
    probe.seen.clear()
    model.fit(x, to_categorical(y), epochs=2, batch_size=20, verbose=0,
              validation_data=(x[:10], to_categorical(y[:10])))
    # per epoch: two training batches, then one validation batch
    assert probe.seen == [True, True, False] * 2
    assert model.training is False  # the mode from before fit is restored
    probe.seen.clear()
    model.train()
    model.predict(x[:3])
    model.evaluate(x[:3], to_categorical(y[:3]), verbose=0)
    assert probe.seen == [False, False]
    assert model.training and probe.training


def test_dropout_is_off_in_predict():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(8, input_shape=(3,)), nn.Dropout(0.5)])
    x = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))


def live_graph_nodes():
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, Tensor) and obj.op is not None)


def test_fit_leaves_no_graph_behind():
    x, y = moons(64)
    model = small_mlp()
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    before = live_graph_nodes()
    model.fit(x, to_categorical(y), epochs=3, batch_size=8, verbose=0,
              validation_data=(x[:8], to_categorical(y[:8])))
    assert live_graph_nodes() == before


def test_inputs_are_converted_to_float32_once():
    x = (np.arange(24).reshape(12, 2) % 7).astype(np.uint8)
    y = to_categorical(np.arange(12) % 2)
    model = small_mlp()
    model.compile(loss="categorical_crossentropy")
    model.fit(x, y.astype(np.float64), epochs=1, batch_size=4, verbose=0)
    out = model.predict(x)
    assert out.dtype == np.float32 and out.shape == (12, 2)


# ---------------------------------------------------------------------- predict and evaluate
def test_predict_is_independent_of_the_batch_size():
    x, _ = moons(50)
    model = small_mlp()
    full = model.predict(x, batch_size=64)
    np.testing.assert_allclose(model.predict(x, batch_size=7), full, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), full, rtol=1e-6)
    with autograd.no_grad():
        np.testing.assert_allclose(model(Tensor(x)).data, full, rtol=1e-6)


def test_evaluate_return_forms():
    x, y = moons(40)
    y = to_categorical(y)
    model = small_mlp()
    model.compile(loss="categorical_crossentropy")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy", "mae"])
    results = model.evaluate(x, y, verbose=0)
    assert len(results) == 3 and results[0] == pytest.approx(loss)
    assert model.metrics_names == ["loss", "accuracy", "mae"]
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss", "accuracy", "mae"]
    mae = np.mean(np.abs(model.predict(x) - y))
    assert as_dict["mae"] == pytest.approx(mae, rel=1e-5)


def test_train_on_batch_runs_one_step():
    x, y = moons(32)
    y = to_categorical(y)
    model = small_mlp()
    model.compile(optimizer=nn.optim.SGD(lr=0.1), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    before = [p.data.copy() for p in model.parameters()]
    loss, accuracy = model.train_on_batch(x, y)
    assert 0 <= accuracy <= 1 and loss > 0
    assert any(not np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    assert model.optimizer.iterations == 1


def test_lazily_built_model_is_built_by_fit():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(8, activation="relu"), nn.Dense(2, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x, y = moons(40)
    history = model.fit(x, to_categorical(y), epochs=2, batch_size=10, verbose=0)
    assert len(model.parameters()) == 4
    assert len(model.optimizer.params) == 4
    assert history.history["loss"][1] < history.history["loss"][0]


def test_torch_style_loss_and_integer_targets():
    x, y = moons(200)
    nn.seed(0)
    model = nn.Sequential([nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2)])
    model.compile(optimizer=nn.optim.Adam(lr=0.05), loss=nn.losses.CrossEntropyLoss(),
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0, seed=0)
    assert history.history["accuracy"][-1] > 0.9


def test_a_loss_function_without_a_module_trains():
    namespace = {}  # code run by exec: its functions have __module__ None
    exec("def squared(y_true, y_pred):\n    return ((y_pred - y_true) ** 2).mean()", namespace)
    assert namespace["squared"].__module__ is None
    x, y = moons(40)
    model = small_mlp()
    model.compile(optimizer="sgd", loss=namespace["squared"])
    history = model.fit(x, to_categorical(y), epochs=2, batch_size=10, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_user_optimizer_over_a_subset_of_parameters_is_kept():
    x, y = moons(32)
    model = small_mlp()
    first = model[0]
    optimizer = nn.optim.SGD([first.kernel, first.bias], lr=0.1)
    frozen = [p.data.copy() for p in model.parameters()[2:]]
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    model.fit(x, to_categorical(y), epochs=1, batch_size=8, verbose=0)
    assert len(optimizer.params) == 2
    for before, p in zip(frozen, model.parameters()[2:]):
        np.testing.assert_array_equal(before, p.data)


# ---------------------------------------------------------------------- errors
def test_fit_before_compile_is_a_clear_error():
    with pytest.raises(RuntimeError, match="compile"):
        small_mlp().fit(np.zeros((2, 2)), np.zeros((2, 2)), verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        small_mlp().evaluate(np.zeros((2, 2)), np.zeros((2, 2)), verbose=0)


def test_bad_arguments_are_clear_errors():
    model = small_mlp()
    with pytest.raises(ValueError, match="loss"):
        model.compile(optimizer="sgd")
    model.compile(loss="mse")
    with pytest.raises(ValueError, match=r"same number of samples.*\(5, 2\).*\(4, 2\)"):
        model.fit(np.zeros((5, 2)), np.zeros((4, 2)), verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(np.zeros((5, 2)), np.zeros((5, 2)), batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(np.zeros((5, 2)), np.zeros((5, 2)), verbose=3)
    with pytest.raises(ValueError, match="unknown metric"):
        model.compile(loss="mse", metrics=["precision@k"])
    with pytest.raises(TypeError, match="Callback"):
        model.fit(np.zeros((5, 2)), np.zeros((5, 2)), verbose=0, callbacks=[print])


# ---------------------------------------------------------------------- metrics
def test_accuracy_follows_keras_rules():
    probabilities = np.array([[0.1, 0.9], [0.8, 0.2], [0.6, 0.4]], np.float32)
    one_hot = np.array([[0, 1], [0, 1], [1, 0]], np.float32)
    np.testing.assert_array_equal(metrics_module.accuracy(one_hot, probabilities), [1, 0, 1])
    np.testing.assert_array_equal(metrics_module.accuracy(np.array([1, 1, 0]), probabilities),
                                  [1, 0, 1])
    np.testing.assert_array_equal(metrics_module.accuracy(np.array([[1], [1], [0]]), probabilities),
                                  [1, 0, 1])
    binary = np.array([[0.7], [0.2], [0.51]], np.float32)
    np.testing.assert_array_equal(metrics_module.accuracy(np.array([1, 1, 0]), binary), [1, 0, 0])
    with pytest.raises(ValueError, match="accuracy"):
        metrics_module.accuracy(np.zeros((3, 3)), probabilities)


def test_metric_accumulates_over_batches():
    metric = metrics_module.get("mae")
    metric.update_state(np.zeros((2, 2)), np.ones((2, 2)))
    metric.update_state(np.zeros((1, 2)), np.full((1, 2), 4.0))
    assert metric.result() == pytest.approx((4 * 1 + 2 * 4) / 6)
    metric.reset_state()
    assert np.isnan(metric.result())


def test_binary_accuracy_in_fit():
    x, y = moons(200)
    nn.seed(0)
    model = nn.Sequential([nn.Dense(16, activation="relu", input_shape=(2,)),
                           nn.Dense(1, activation="sigmoid")])
    model.compile(optimizer=nn.optim.Adam(lr=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x, y, verbose=0)
    expected = np.mean((model.predict(x)[:, 0] > 0.5) == y)
    assert accuracy == pytest.approx(expected)
    assert accuracy > 0.85


def test_custom_metric_function():
    def largest_error(y_true, y_pred):
        return np.abs(y_true - y_pred).max(axis=-1)

    x, y = moons(20)
    y = to_categorical(y)
    model = small_mlp()
    model.compile(loss="mse", metrics=[largest_error])
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = np.mean(np.abs(y - model.predict(x)).max(axis=-1))
    assert results["largest_error"] == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------------- output
def test_verbose_levels(capsys):
    x, y = moons(40)
    y = to_categorical(y)
    model = small_mlp()
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert capsys.readouterr().out == ""

    model.fit(x, y, epochs=2, batch_size=10, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {epoch}/2 - 4/4 - ")
        for name in ("loss: ", "accuracy: ", "val_loss: ", "val_accuracy: "):
            assert name in line

    model.fit(x, y, epochs=1, batch_size=10, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "accuracy: " in out
    model.evaluate(x, y, verbose=1)
    assert "loss: " in capsys.readouterr().out
