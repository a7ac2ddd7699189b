"""A PyTorch-style training loop: subclass Module, write the loop, step an optimizer."""
import time

import numpy as np
import pytest

import autograd
import nn
from nn.data import make_moons
from nn.layers import Linear, ReLU
from nn.losses import CrossEntropyLoss


class MoonNet(nn.Module):
    """Linear -> ReLU -> Linear, two logits per point."""

    def __init__(self, hidden=32):
        super().__init__()
        self.fc1 = Linear(2, hidden)
        self.act = ReLU()
        self.fc2 = Linear(hidden, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def accuracy(model, x, y):
    with autograd.no_grad():
        return float(np.mean(model(x).data.argmax(axis=1) == y))


def train(step_fn, model, epochs=300):
    x, y = make_moons(200, noise=0.1, seed=0)
    x = x.astype(np.float32)
    criterion = CrossEntropyLoss()
    for _ in range(epochs):
        loss = criterion(model(x), y)
        loss.backward()
        step_fn()
    return accuracy(model, x, y), loss.item()


def test_hand_written_sgd_loop_learns_the_moons_quickly():
    autograd.seed(0)
    model = MoonNet()
    params = model.parameters()
    lr = 0.5

    def step():
        for p in params:
            p.data -= lr * p.grad
        model.zero_grad()

    start = time.perf_counter()
    acc, loss = train(step, model)
    elapsed = time.perf_counter() - start
    assert acc >= 0.95, f"train accuracy {acc:.3f} (loss {loss:.4f})"
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_optimizer_loop_learns_the_moons_quickly():
    optim = pytest.importorskip("nn.optim")
    autograd.seed(0)
    model = MoonNet()
    optimizer = optim.SGD(model.parameters(), lr=0.5)

    def step():
        optimizer.step()
        optimizer.zero_grad()

    start = time.perf_counter()
    acc, loss = train(step, model)
    elapsed = time.perf_counter() - start
    assert acc >= 0.95, f"train accuracy {acc:.3f} (loss {loss:.4f})"
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    assert all(p.grad is None for p in model.parameters())
