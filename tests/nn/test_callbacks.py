"""Callbacks: EarlyStopping, ModelCheckpoint, LearningRateScheduler, ReduceLROnPlateau,
TerminateOnNaN, CSVLogger, History and custom per-batch callbacks, alone and inside ``fit``."""
import csv

import numpy as np
import pytest

import nn
from nn.data import make_moons, to_categorical
from nn.serialization import load_model
from nn.training.callbacks import (CSVLogger, Callback, CallbackList, EarlyStopping,
                                   LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau,
                                   TerminateOnNaN)
from nn.training.callbacks import History


def compiled_model(lr=1e-3, seed=0):
    nn.seed(seed)
    model = nn.Sequential([nn.Dense(8, activation="relu", input_shape=(2,)),
                           nn.Dense(2, activation="softmax")])
    model.compile(optimizer=nn.optim.SGD(lr=lr), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def data(n=64):
    x, y = make_moons(n, noise=0.1, seed=0)
    return x.astype(np.float32), to_categorical(y)


def drive(callback, model, values, monitor="val_loss"):
    """Run ``callback`` through epochs whose monitored value is ``values``; returns the epochs
    that ran before the model was told to stop."""
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    ran = []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        ran.append(epoch)
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return ran


# ---------------------------------------------------------------------- EarlyStopping
def test_early_stopping_waits_patience_epochs():
    model = compiled_model()
    stopper = EarlyStopping(patience=2)
    assert drive(stopper, model, [1.0, 0.8, 0.9, 0.85, 0.7, 0.6]) == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 3 and stopper.best == 0.8 and stopper.best_epoch == 1


def test_early_stopping_min_delta_and_max_mode():
    model = compiled_model()
    assert drive(EarlyStopping(patience=1, min_delta=0.1), model, [1.0, 0.95, 0.5]) == [0, 1]
    rising = [0.5, 0.6, 0.7, 0.65, 0.8]
    assert drive(EarlyStopping(monitor="val_accuracy", patience=1), model, rising,
                 monitor="val_accuracy") == [0, 1, 2, 3]
    assert drive(EarlyStopping(monitor="val_loss", mode="max", patience=1), model, rising) == [0, 1, 2, 3]


def test_early_stopping_restores_the_best_weights():
    model = compiled_model()
    stopper = EarlyStopping(patience=1, restore_best_weights=True)
    stopper.set_model(model)
    model.stop_training = False
    stopper.on_train_begin()
    snapshots = []
    for epoch, value in enumerate([1.0, 0.5, 0.7]):
        for p in model.parameters():
            p.data += 1.0  # "training" changes the weights every epoch
        snapshots.append([p.data.copy() for p in model.parameters()])
        stopper.on_epoch_end(epoch, {"val_loss": value})
    assert model.stop_training
    for p, best in zip(model.parameters(), snapshots[1]):
        np.testing.assert_array_equal(p.data, best)


def test_early_stopping_inside_fit_stops_training():
    x, y = data()
    model = compiled_model(lr=0.0)  # nothing improves
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0, validation_data=(x, y),
                        callbacks=[EarlyStopping(patience=2)])
    assert history.epoch == [0, 1, 2]


def test_missing_monitor_warns_once_and_does_not_stop():
    x, y = data()
    model = compiled_model()
    with pytest.warns(RuntimeWarning, match="val_loss.*not in the logs.*accuracy, loss"):
        history = model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                            callbacks=[EarlyStopping(patience=0)])
    assert history.epoch == [0, 1, 2]


# ---------------------------------------------------------------------- ModelCheckpoint
def test_checkpoint_saves_only_improvements(tmp_path):
    model = compiled_model()
    path = tmp_path / "best.npz"
    checkpoint = ModelCheckpoint(path, save_best_only=True)
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    first = path.stat().st_mtime_ns, path.read_bytes()
    model.parameters()[0].data += 1.0
    checkpoint.on_epoch_end(1, {"val_loss": 2.0})  # worse: the file keeps the epoch-0 weights
    assert path.read_bytes() == first[1]
    restored = load_model(path)
    assert not np.array_equal(restored.parameters()[0].data, model.parameters()[0].data)
    checkpoint.on_epoch_end(2, {"val_loss": 0.5})
    restored = load_model(path)
    np.testing.assert_array_equal(restored.parameters()[0].data, model.parameters()[0].data)


def test_checkpoint_path_template_and_weights_only(tmp_path):
    x, y = data()
    model = compiled_model()
    template = str(tmp_path / "w-{epoch:02d}-{loss:.2f}.npz")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0,
              callbacks=[ModelCheckpoint(template, monitor="loss", save_weights_only=True)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("w-01-") and names[1].startswith("w-02-")
    fresh = compiled_model(seed=1)
    fresh.load_weights(tmp_path / names[1])
    for a, b in zip(fresh.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


# ---------------------------------------------------------------------- learning rates
def test_scheduler_function_sets_lr_each_epoch_and_logs_it():
    x, y = data()
    model = compiled_model(lr=0.5)
    seen = []

    class Spy(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(self.model.optimizer.lr)

    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1)), Spy()])
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_scheduler_with_current_lr():
    model = compiled_model(lr=1.0)
    drive(LearningRateScheduler(lambda epoch, lr: lr * 0.5), model, [0, 0, 0])
    assert model.optimizer.lr == pytest.approx(0.125)


def test_scheduler_with_a_schedule_object():
    x, y = data()
    model = compiled_model(lr=1.0)
    schedule = nn.optim.StepDecay(model.optimizer, step_size=2, gamma=0.1)
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                        callbacks=[LearningRateScheduler(schedule)])
    assert history.history["lr"] == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])


def test_scheduler_with_a_per_step_schedule():
    x, y = data(64)
    model = compiled_model(lr=1.0)
    schedule = nn.optim.ExponentialDecay(model.optimizer, gamma=0.5, interval="step")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[LearningRateScheduler(schedule)])
    assert model.optimizer.lr == pytest.approx(0.5 ** 8)  # 4 batches per epoch


def test_scheduler_rejects_bad_rates():
    model = compiled_model()
    with pytest.raises(ValueError, match="lr=-1"):
        drive(LearningRateScheduler(lambda epoch: -1.0), model, [0])
    with pytest.raises(TypeError, match="schedule"):
        LearningRateScheduler(0.1)


def test_reduce_lr_on_plateau():
    model = compiled_model(lr=1.0)
    callback = ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.3)
    drive(callback, model, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    # bad epochs 1, 2 -> 0.5; bad epochs 3, 4 -> 0.3 (floor); then it stays
    assert model.optimizer.lr == pytest.approx(0.3)


def test_reduce_lr_on_plateau_in_fit_logs_lr():
    x, y = data()
    model = compiled_model(lr=0.0)
    model.optimizer.lr = 1e-9  # effectively no progress, so the loss plateaus
    history = model.fit(x, y, epochs=4, batch_size=64, verbose=0, validation_data=(x, y),
                        callbacks=[ReduceLROnPlateau(factor=0.1, patience=1)])
    assert history.history["lr"][0] == pytest.approx(1e-9)
    assert history.history["lr"][-1] < 1e-10


# ---------------------------------------------------------------------- others
def test_terminate_on_nan(capsys):
    model = compiled_model()
    assert drive(TerminateOnNaN(), model, [1.0, float("nan"), 1.0], monitor="loss") == [0, 1]
    assert "nan" in capsys.readouterr().out


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = data()
    model = compiled_model()
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[CSVLogger(path)])
    rows = list(csv.DictReader(path.open()))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert [float(row["loss"]) for row in rows] == pytest.approx(history.history["loss"])
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[CSVLogger(path, append=True)])
    lines = path.read_text().strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("epoch,")


def test_custom_callback_sees_every_batch_and_epoch():
    x, y = data(50)
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append("begin")

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch", epoch, sorted(logs)))

        def on_batch_end(self, batch, logs=None):
            events.append(("batch", batch, logs["size"]))

        def on_train_end(self, logs=None):
            events.append("end")

    compiled_model().fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[Recorder()])
    batches = [("batch", 0, 20), ("batch", 1, 20), ("batch", 2, 10)]
    epoch_keys = ["accuracy", "loss"]
    assert events == ["begin", *batches, ("epoch", 0, epoch_keys), *batches,
                      ("epoch", 1, epoch_keys), "end"]


def test_callback_list_calls_per_batch_hooks_only_when_defined():
    class EpochOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class BatchToo(Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    assert not CallbackList([EpochOnly(), History()]).wants_batches
    assert CallbackList([BatchToo()]).wants_batches
    assert not CallbackList([LearningRateScheduler(lambda e: 0.1)]).wants_batches


def test_history_callback_alone():
    history = History()
    history.on_epoch_end(0, {"loss": 2.0})
    history.on_epoch_end(1, {"loss": 1.0, "val_loss": 1.5})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [2.0, 1.0], "val_loss": [1.5]}


def test_terminate_on_nan_stops_at_the_first_nan_batch(capsys):
    # Keras semantics: the check is per batch, so the epoch with the NaN ends right there
    x, y = data(64)
    calls = []

    def loss(y_true, y_pred):
        calls.append(len(calls))
        value = nn.losses.get("categorical_crossentropy")(y_true, y_pred)
        return value * float("nan") if len(calls) == 3 else value

    class Batches(Callback):
        def on_train_begin(self, logs=None):
            self.seen = []

        def on_batch_end(self, batch, logs=None):
            self.seen.append(batch)

    model = compiled_model()
    model.compile(optimizer="sgd", loss=loss)
    counter, stopper = Batches(), TerminateOnNaN()
    history = model.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[counter, stopper])
    assert counter.seen == [0, 1, 2]  # of 8 batches per epoch, 4 epochs
    assert len(calls) == 3 and stopper.stopped_at_batch == 2
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])
    assert "Batch 2: the loss is nan; stopping training" in capsys.readouterr().out


def test_a_finite_run_is_not_stopped_by_terminate_on_nan():
    x, y = data(32)
    history = compiled_model().fit(x, y, epochs=2, batch_size=8, verbose=0,
                                   callbacks=[TerminateOnNaN()])
    assert len(history.history["loss"]) == 2
