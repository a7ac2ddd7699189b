"""Bad inputs to fit, evaluate, predict and train_on_batch: each is refused with an error naming
the method and what was wrong, before any weight changes; nothing is silently converted."""
import numpy as np
import pytest

import nn
from nn.training.callbacks import TerminateOnNaN

X = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
Y = np.eye(2, dtype=np.float32)[np.arange(10) % 2]


def model():
    nn.seed(0)
    net = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)),
                         nn.Dense(2, activation="softmax")])
    net.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return net


def with_nan(array, index=4):
    bad = array.copy()
    bad[index, 0] = np.nan
    return bad


BAD_FIT = [
    ("string x", dict(x=X.astype(str)), TypeError, "fit: x must be a numeric array"),
    ("string y", dict(y=Y.astype(str)), TypeError, "fit: y must be a numeric array"),
    ("complex x", dict(x=X.astype(complex)), TypeError, "fit: x .*complex128"),
    ("complex y", dict(y=Y.astype(complex)), TypeError, "fit: y .*complex128"),
    ("object x", dict(x=np.array([None] * 10)), TypeError, "fit: x .*object data"),
    ("ragged x", dict(x=[[1.0, 2.0, 3.0], [1.0, 2.0]], y=Y[:2]), ValueError,
     "fit: x cannot be made into one numeric array"),
    ("NaN labels", dict(y=with_nan(Y)), ValueError, "fit: y holds NaN .* first at index 4"),
    ("infinite inputs", dict(x=with_nan(X, 7) * -np.inf), ValueError, "fit: x holds NaN"),
    ("a missing feature axis", dict(x=X[:, None, :]), ValueError,
     r"fit: the model takes samples of shape \(3,\), so x must have 2 axes"),
    ("negative initial_epoch", dict(initial_epoch=-1), ValueError, "fit: initial_epoch"),
    ("string initial_epoch", dict(initial_epoch="a"), ValueError, "fit: initial_epoch"),
    ("string shuffle", dict(shuffle="no"), TypeError, "fit: shuffle must be True or False"),
    ("string seed", dict(seed="a"), ValueError, "fit: seed"),
    ("negative seed", dict(seed=-1), ValueError, "fit: seed"),
    ("one callback", dict(callbacks=TerminateOnNaN()), TypeError, "fit: callbacks must be a list"),
    ("a number of callbacks", dict(callbacks=3), TypeError, "fit: callbacks must be a list"),
    ("verbose 5", dict(verbose=5), ValueError, "fit: verbose must be 0, 1 or 2"),
    ("NaN validation labels", dict(validation_data=(X, with_nan(Y))), ValueError,
     r"fit \(validation_data\): y holds NaN"),
]


@pytest.mark.parametrize("label,changes,error,message", BAD_FIT, ids=[b[0] for b in BAD_FIT])
def test_fit_refuses_bad_inputs_before_training(label, changes, error, message):
    net = model()
    before = {name: value.copy() for name, value in net.state_dict().items()}
    arguments = {"x": X, "y": Y, "verbose": 0, **changes}
    with pytest.raises(error, match=message):
        net.fit(**arguments)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("method", ["evaluate", "train_on_batch"])
def test_evaluate_and_train_on_batch_refuse_nan_labels_and_strings(method):
    net = model()
    call = getattr(net, method)
    kwargs = {"verbose": 0} if method == "evaluate" else {}
    with pytest.raises(ValueError, match=f"{method}: y holds NaN"):
        call(X, with_nan(Y), **kwargs)
    with pytest.raises(TypeError, match=f"{method}: x must be a numeric array"):
        call(X.astype(str), Y, **kwargs)


@pytest.mark.parametrize("bad,error,message", [
    (X[0], ValueError, r"predict: the model takes samples of shape \(3,\), so x must have 2 axes"),
    (X.astype(complex), TypeError, "predict: x must be a numeric array"),
    (X.astype(str), TypeError, "predict: x must be a numeric array"),
])
def test_predict_refuses_inputs_it_would_misread(bad, error, message):
    with pytest.raises(error, match=message):
        model().predict(bad)


def test_predict_keeps_working_on_what_it_accepted():
    net = model()
    assert net.predict(X).shape == (10, 2)
    assert net.predict(X.tolist()).shape == (10, 2)
    assert net.predict(X > 0).shape == (10, 2)  # booleans are numbers
    assert np.isnan(net.predict(with_nan(X))[4]).all()  # NaN in, NaN out: not hidden


def test_fit_still_takes_lists_integers_and_booleans():
    history = model().fit(X.tolist(), Y.astype(np.int64), verbose=0, shuffle=np.bool_(True), seed=3)
    assert len(history.history["loss"]) == 1


# ---------------------------------------------------------------------- around fit
@pytest.mark.parametrize("make,message", [
    (lambda: nn.optim.SGD(lr="0.1"), "SGD: lr must be a number, got '0.1'"),
    (lambda: nn.optim.SGD(lr=True), "SGD: lr must be a number, got True"),
    (lambda: nn.optim.SGD(clipvalue="a"), "SGD: clipvalue must be a number"),
    (lambda: nn.optim.SGD(momentum=0.9, nesterov="yes"), "SGD: nesterov must be True or False"),
    (lambda: nn.optim.Adam(amsgrad="no"), "Adam: amsgrad must be True or False"),
    (lambda: nn.optim.RMSprop(centered=1), "RMSprop: centered must be True or False"),
    (lambda: nn.training.callbacks.EarlyStopping(patience="a"), "EarlyStopping: patience"),
])
def test_settings_are_not_coerced_from_strings_or_truthiness(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_model_checkpoint_with_a_field_the_logs_lack_says_which_fields_exist(tmp_path):
    checkpoint = nn.training.callbacks.ModelCheckpoint(str(tmp_path / "c-{val_los:.2f}.npz"),
                                                       monitor="loss")
    with pytest.raises(ValueError, match=r"cannot fill in filepath .*val_los.*epoch, accuracy, loss"):
        model().fit(X, Y, verbose=0, callbacks=[checkpoint])


@pytest.mark.parametrize("target,error,message", [
    ("missing/m.npz", FileNotFoundError, "the directory .*missing does not exist"),
    (".", IsADirectoryError, "it is a directory"),
])
def test_saving_where_no_file_can_go_names_the_path_not_a_temporary(tmp_path, target, error, message):
    with pytest.raises(error, match=message) as caught:
        model().save(tmp_path / target)
    assert ".tmp" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # nothing left behind, here or beside the directory
    assert not any(p.name.startswith(f".{tmp_path.name}.") for p in tmp_path.parent.iterdir())


def test_batches_and_loaders_refuse_truthy_strings(tmp_path):
    from nn.data import BatchIterator, load_mnist

    with pytest.raises(TypeError, match="shuffle must be True or False"):
        BatchIterator(np.zeros(4), shuffle="no")
    with pytest.raises(TypeError, match="DataLoader: shuffle must be True or False"):
        nn.data.DataLoader(np.zeros(4), shuffle="no")
    with pytest.raises(TypeError, match="DataLoader: drop_last must be True or False"):
        nn.data.DataLoader(np.zeros(4), batch_size=3, drop_last="no")
    with pytest.raises(TypeError, match="download must be True or False, got 'no'"):
        load_mnist(path=tmp_path, download="no")
