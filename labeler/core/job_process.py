"""Running a job generator in a child process while its ``Store`` stays in this one.

The child imports the job by name and calls it with a :class:`RemoteStore`: it reads on its own
read-only connection, and every writing store method it calls is sent back here over a pipe and
answered by the caller's store (for the window, a
:class:`~labeler.core.worker_store.WorkerStore`, whose writes go through the one writer). Events the job yields and the value it returns come back the same way, and
``should_stop`` reaches the child as a message. So the window runs the very generator the
command line runs, and its decoding, model and numpy work never hold this process's interpreter
lock (a background thread holding it, or descheduled while holding it, pauses the window).

Messages are pickles of tuples between this program and its own child (both trusted).
"""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Generator, Iterator
from typing import Any

from labeler.core.worker_store import SplitStore

HEADER = struct.Struct(">I")
CHILD = "import sys; from labeler.core.job_process import _child; sys.exit(_child())"


class JobProcessError(RuntimeError):
    """The child process ended without an answer (it crashed or was killed)."""


def _send(stream, message: tuple) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exact(stream, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(stream) -> tuple:
    (n,) = HEADER.unpack(_read_exact(stream, HEADER.size))
    return pickle.loads(_read_exact(stream, n))


class Record(tuple):
    """A row of the parent's catalog as the child gets it: a tuple that also answers to its
    column names, as the store's rows do."""

    def __new__(cls, values, names):
        row = super().__new__(cls, values)
        row.names = tuple(names)
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names."""
        return list(self.names)

    def __reduce__(self):
        return (Record, (tuple(self), self.names))


def _sendable(value: Any) -> Any:
    """Store rows become :class:`Record` tuples (the database's own row type does not pickle)."""
    if (
        isinstance(value, list)
        and value
        and hasattr(value[0], "keys")
        and not isinstance(value[0], dict)
    ):
        return [Record(tuple(r), r.keys()) for r in value]
    return value


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def target_name(fn: Callable[..., Any]) -> str:
    """``module:qualname`` of a module-level function (what the child imports)."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    if "<" in fn.__qualname__:
        raise ValueError(f"{name} is not a module-level function")
    return name


# -- this process's side -------------------------------------------------------------------
def run_in_child(
    store: Any,
    target: str,
    *args: Any,
    should_stop: Callable[[], bool] = lambda: False,
    **kwargs: Any,
) -> Generator[Any, None, Any]:
    """Run ``target(store, *args, should_stop=..., **kwargs)`` in a child process.

    Yields what it yields and returns what it returns; raises what it raised. ``store`` answers
    the child's store calls on the thread that drives this generator.
    """
    # The child imports this very code (the checkout it runs from, whatever is installed).
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])])
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path})  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        iterators: dict[int, Iterator] = {}
        stop_sent = False
        try:
            _send(proc.stdin, ("job", target, args, kwargs, str(getattr(store, "path", ""))))
            while True:
                if not stop_sent and should_stop():
                    _send(proc.stdin, ("stop",))
                    stop_sent = True
                try:
                    message = _recv(proc.stdout)
                except EOFError:
                    proc.wait()
                    err.seek(0)
                    tail = err.read().decode("utf-8", "replace").strip()[-1500:]
                    raise JobProcessError(
                        f"the job process ended unexpectedly (exit {proc.returncode}): {tail}"
                    ) from None
                kind = message[0]
                if kind == "call":
                    _send(proc.stdin, _answer(store, iterators, *message[1:]))
                elif kind == "event":
                    yield message[1]
                elif kind == "return":
                    return message[1]
                elif kind == "raise":
                    raise message[1]
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


def _answer(
    store: Any, iterators: dict[int, Iterator], name: str, args: tuple, kwargs: dict
) -> tuple:
    """One store call of the child, answered as ("ok", value) or ("err", exception)."""
    try:
        if name == "__next__":
            token = args[0]
            try:
                return ("ok", _sendable(next(iterators[token])))
            except StopIteration:
                del iterators[token]
                return ("done",)
        value = getattr(store, name)(*args, **kwargs)
        if inspect.isgenerator(value):
            # Streamed item by item: a generator of the store (embeddings in chunks) cannot
            # be sent whole.
            token = id(value)
            iterators[token] = value
            return ("iter", token)
        return ("ok", _sendable(value))
    except Exception as exc:
        return ("err", _portable(exc))


# -- the child's side ----------------------------------------------------------------------
class RemoteStore(SplitStore):
    """The catalog as the child's job sees it: reads on the child's own read-only connection,
    writes sent to the parent (which makes them through its one writer) and waited for."""

    def __init__(self, send: Callable[[tuple], None], replies: queue.Queue, path: str):
        super().__init__(path)
        self._send = send
        self._replies = replies
        self._lock = threading.Lock()

    def _call(self, name: str, args: tuple, kwargs: dict) -> tuple:
        with self._lock:
            self._send(("call", name, args, kwargs))
            return self._replies.get()

    def _forward(self, name: str, args: tuple, kwargs: dict) -> Any:
        reply = self._call(name, args, kwargs)
        if reply[0] == "err":
            raise reply[1]
        if reply[0] == "iter":
            return self._iterate(reply[1])
        return reply[1]

    def _iterate(self, token: int) -> Iterator:
        while True:
            reply = self._call("__next__", (token,), {})
            if reply[0] == "done":
                return
            if reply[0] == "err":
                raise reply[1]
            yield reply[1]


def _child() -> int:
    """Run one job for the parent (the child process's entry point)."""
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the job prints goes to stderr, never into the messages
    lock = threading.Lock()

    def send(message: tuple) -> None:
        with lock:
            _send(out, message)

    _kind, target, args, kwargs, path = _recv(inp)
    stop = threading.Event()
    replies: queue.Queue = queue.Queue()

    def read() -> None:
        while True:
            try:
                message = _recv(inp)
            except (EOFError, OSError):
                stop.set()
                replies.put(("err", JobProcessError("the parent went away")))
                return
            if message[0] == "stop":
                stop.set()
            else:
                replies.put(message)

    threading.Thread(target=read, name="job-messages", daemon=True).start()
    store = RemoteStore(send, replies, path)
    module, _, qualname = target.partition(":")
    fn: Any = importlib.import_module(module)
    for part in qualname.split("."):
        fn = getattr(fn, part)
    try:
        params = inspect.signature(fn).parameters
        if "should_stop" in params:
            kwargs["should_stop"] = stop.is_set
        result = fn(store, *args, **kwargs)
        if inspect.isgenerator(result):
            while True:
                try:
                    send(("event", next(result)))
                except StopIteration as done:
                    result = done.value
                    break
        send(("return", result))
    except BaseException as exc:  # the parent raises it where the job was started
        traceback.print_exc()
        send(("raise", _portable(exc)))
    finally:
        store.close()
    out.flush()
    return 0
