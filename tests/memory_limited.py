"""Run the file readers on untrusted bytes in a child process with a memory limit.

``LimitedReader`` starts one Python process (reused for every call) that imports lucidgrad,
warms every reader up, then lowers its address-space limit (``RLIMIT_AS``, where the platform
enforces it) to what it uses plus ``headroom`` bytes. Each call sends it a file's bytes; the
child writes them to a file, runs the reader under ``tracemalloc`` and answers with the outcome
(``'ok'`` or the exception's class, module and message) and the peak of memory allocated during
the call. A reader that tries to allocate far more than the limit gets a MemoryError instead of
exhausting the machine, and the caller sees it as a failure.

Run as a script, this module is that child process.
"""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import traceback
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READERS = ("load_model", "load_weights", "nn_load", "read_idx", "decode_idx")


class LimitedReader:
    """A child process that runs one reader call at a time under a memory limit."""

    def __init__(self, headroom=512 << 20):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.process = subprocess.Popen([sys.executable, __file__, str(headroom)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        ready = self._receive()
        self.limited = ready["limited"]

    def run(self, reader, content: bytes) -> dict:
        """Run ``reader`` (one of ``READERS``) on a file holding ``content``; returns the answer:
        ``outcome`` ('ok' or 'error'), ``error_class``, ``error_module``, ``message``, ``peak``."""
        request = json.dumps({"reader": reader, "size": len(content)}).encode()
        self.process.stdin.write(struct.pack(">I", len(request)) + request + content)
        self.process.stdin.flush()
        return self._receive()

    def _receive(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the memory-limited reader died (exit status {self.process.wait()})")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


# ---------------------------------------------------------------------- the child process
def _model():
    import nn

    nn.seed(0)
    return nn.Sequential([nn.Dense(8, activation="relu", input_shape=(3,)), nn.Dropout(0.1),
                          nn.Dense(2, activation="softmax")])


def _call(reader, path):
    import numpy as np

    import nn
    from nn.data import idx

    if reader == "load_model":
        model = nn.load_model(path)
        return sum(array.size for array in model.state_dict().values())
    if reader == "load_weights":
        model = _model()
        tracemalloc.reset_peak()  # the model was made before the call, not by it
        model.load_weights(path)
        return sum(array.size for array in model.state_dict().values())
    if reader == "nn_load":
        return len(nn.load(path))
    if reader == "read_idx":
        return int(np.asarray(idx.read_idx(path)).size)
    with open(path, "rb") as handle:
        return int(idx.decode_idx(handle.read()).size)


def _warm_up(directory):
    """Run every reader once, so the measured calls do not pay for imports."""
    import numpy as np

    from nn.data import idx

    model = _model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    path = os.path.join(directory, "warm.npz")
    model.save(path)
    _call("load_model", path)
    _call("load_weights", path)
    _call("nn_load", path)
    idx.write_idx(os.path.join(directory, "warm.gz"), np.arange(6, dtype=np.uint8))
    _call("read_idx", os.path.join(directory, "warm.gz"))
    _call("decode_idx", os.path.join(directory, "warm.gz"))


def _limit_address_space(headroom):
    """Lower RLIMIT_AS to the current size plus ``headroom``; False where that is impossible."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + headroom
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        return True
    except (ImportError, OSError, ValueError):
        return False


def _serve(headroom):
    import warnings

    warnings.simplefilter("ignore")
    stdin, stdout = sys.stdin.buffer, sys.stdout
    sys.stdout = io.StringIO()  # readers' prints must not disturb the answers
    with tempfile.TemporaryDirectory() as directory:
        _warm_up(directory)
        tracemalloc.start()
        limited = _limit_address_space(headroom)
        stdout.write(json.dumps({"limited": limited}) + "\n")
        stdout.flush()
        path = os.path.join(directory, "input")
        while True:
            head = stdin.read(4)
            if len(head) < 4:
                return
            request = json.loads(stdin.read(struct.unpack(">I", head)[0]))
            with open(path, "wb") as handle:
                handle.write(stdin.read(request["size"]))
            tracemalloc.reset_peak()
            answer = {"outcome": "ok"}
            try:
                answer["size"] = _call(request["reader"], path)
            except BaseException as error:  # reported, judged by the caller
                answer = {"outcome": "error", "error_class": type(error).__name__,
                          "error_module": type(error).__module__, "message": str(error)[:2000],
                          "traceback": traceback.format_exc()[-3000:]}
            answer["peak"] = tracemalloc.get_traced_memory()[1]
            stdout.write(json.dumps(answer) + "\n")
            stdout.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
