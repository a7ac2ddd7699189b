"""Arrays saved for the backward pass stay as they were: the rule, and how it is kept.

A recorded tensor op keeps the arrays its VJPs will read: its operands' data and its own output.
If one of them changed between the forward and the backward pass, the gradient would silently
be computed from the new values. So, while a recorded op still needs them (until a backward pass
frees the graph, or the graph is dropped), those arrays are read-only:

* writing into them directly (``t.data[0] = 1``, or into the numpy array a ``Tensor`` wraps)
  raises numpy's ``ValueError: assignment destination is read-only`` at once;
* lucidgrad's own in-place updates (an optimizer's step, ``Module.load_state_dict``) may still
  write, through ``writable``; a later backward pass through a graph recorded before such a write
  raises ``RuntimeError`` naming the op, instead of using the new values (PyTorch's rule).

Several recorded ops may hold the same array: it becomes writable again when the last of them
lets go. Python floats (the ``Value`` engine) are immutable, so scalar graphs need none of this.
"""
import contextlib

from .grad_mode import _Switch
from .node import Node

__all__ = ["hold", "release", "check_unchanged", "writable"]

# id(array) -> [array, number of recorded ops holding it, serial of the last write into it],
# for the arrays of leaf tensors (an op's output is held by the op itself, see ``hold``)
_held = {}
# ``_Switch.writes`` numbers the writes into held arrays; a recorded op remembers the number at
# its creation, so that backward can tell whether anything it holds was written since.


def hold(node):
    """Make the arrays ``node`` saved read-only while it may need them.

    Its output is frozen by the node itself, until the node is released. The data of a leaf
    operand (a parameter, an input) is counted, since many nodes may hold it; the output of an
    earlier op needs nothing more: that op's own node keeps it frozen for at least as long,
    because a backward pass releases an op only after every op that consumed its output."""
    node._serial = _Switch.writes
    out = node.data
    if out.flags.writeable:
        out.setflags(write=False)
        node._froze_output = True
    else:
        node._froze_output = False
    for x, array in zip(node._inputs, node._args):
        if isinstance(x, Node) and x._op is None:
            entry = _held.get(id(array))
            if entry is not None and entry[0] is array:
                entry[1] += 1
            elif array.flags.writeable:  # an array that was read-only already needs no bookkeeping
                array.setflags(write=False)
                _held[id(array)] = [array, 1, 0]


def release(node):
    """``node`` no longer needs what it saved; the last holder of a leaf's array unfreezes it."""
    if node._froze_output:
        try:
            node.data.setflags(write=True)
        except ValueError:  # a view whose base is held: it stays read-only
            pass
    for x, array in zip(node._inputs, node._args):
        if isinstance(x, Node) and x._op is None:
            entry = _held.get(id(array))
            if entry is None or entry[0] is not array:
                continue
            entry[1] -= 1
            if entry[1] == 0:
                del _held[id(array)]
                array.setflags(write=True)


def check_unchanged(node):
    """Raise if a leaf's array that ``node`` saved was written after ``node`` was recorded (the
    engine calls this only when some held array was written since: ``node._serial`` differs
    from ``_Switch.writes``)."""
    for x, array in zip(node._inputs, node._args):
        entry = _held.get(id(array))
        if entry is not None and entry[0] is array and entry[2] > node._serial:
            raise RuntimeError(
                f"backward through '{node._op.name}': the array of shape {array.shape} that it "
                "saved was modified in place after the forward pass (by an optimizer step or "
                "load_state_dict); run the forward pass again")


@contextlib.contextmanager
def writable(array):
    """Let lucidgrad's own in-place update write into ``array`` even while a recorded op holds
    it; backward passes through graphs recorded before the write will refuse to run."""
    entry = _held.get(id(array))
    if entry is None or entry[0] is not array:
        yield array
        return
    _Switch.writes += 1
    entry[2] = _Switch.writes
    array.setflags(write=True)
    try:
        yield array
    finally:
        array.setflags(write=False)
