"""``History``: the per-epoch record that ``Model.fit`` returns."""

from __future__ import annotations

from .callbacks import Callback

__all__ = ["History"]


class History(Callback):
    """Records every epoch's logs.

    ``history`` maps each logged name (``loss``, metrics, ``val_loss``, ...) to a list with one
    value per epoch; ``epoch`` lists the epoch numbers (from 0) in the same order. ``fit`` puts
    a fresh one last in its callback list (so it sees what other callbacks add to the logs,
    such as ``lr``) and also stores it as ``model.history``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
