"""Fine-tuning in a child process: the window's worker starts it, reads its progress, stops it.

Torch holds the interpreter lock for long stretches (model building, ONNX export); in its own
process it cannot pause the window. ``python -m training.finetune_process SPEC.json`` prints one
JSON object per progress event and a final ``{"result": ...}`` line. Creating the file named by
``stop_file`` stops it between steps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Generator
from dataclasses import asdict
from pathlib import Path

from training.finetune import EpochProgress, FineTuneResult, TrainingError, fine_tune
from training.head import Head


def write_spec(folder: Path, *, train, val, base: str, out_dir: str, version: str, init_head: Head | None,
               epochs: int, device: str) -> Path:  # fmt: skip
    """Write the job description (and the initial head) for a child process."""
    spec = {
        "train": list(map(list, train)), "val": list(map(list, val)), "base": base, "out_dir": str(out_dir),
        "version": version, "epochs": epochs, "device": device, "stop_file": str(folder / "stop"),
        "head": None,
    }  # fmt: skip
    if init_head is not None:
        from safetensors.numpy import save_file

        save_file(init_head.to_arrays(), str(folder / "head.safetensors"))
        spec["head"] = {"path": str(folder / "head.safetensors"), "classes": init_head.classes}
    path = folder / "spec.json"
    path.write_text(json.dumps(spec))
    return path


def run_child(spec_path: str) -> int:
    """The child's side: fine-tune and report."""
    spec = json.loads(Path(spec_path).read_text())
    head = None
    if spec["head"]:
        from safetensors.numpy import load_file

        head = Head.from_arrays(spec["head"]["classes"], load_file(spec["head"]["path"]))
    stop = Path(spec["stop_file"])
    gen = fine_tune([tuple(x) for x in spec["train"]], [tuple(x) for x in spec["val"]], base=spec["base"],
                    out_dir=spec["out_dir"], version=spec["version"], init_head=head, epochs=spec["epochs"],
                    device=spec["device"], should_stop=stop.exists)  # fmt: skip
    try:
        while True:
            try:
                event = next(gen)
            except StopIteration as done:
                result = done.value
                break
            print(json.dumps({"progress": asdict(event)}), flush=True)
    except TrainingError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 1
    out = {
        "checkpoint": str(result.checkpoint) if result.checkpoint else None,
        "onnx": str(result.onnx) if result.onnx else None,
        "best_val_accuracy": result.best_val_accuracy,
        "history": result.history,
        "device": result.device,
        "seconds": result.seconds,
        "cancelled": result.cancelled,
    }
    print(json.dumps({"result": out}), flush=True)
    return 0


def fine_tune_in_process(
    *, should_stop: Callable[[], bool], **kwargs
) -> Generator[EpochProgress, None, FineTuneResult]:
    """Run :func:`training.finetune.fine_tune` in a child process with the same arguments."""
    with tempfile.TemporaryDirectory(prefix="finetune-") as tmp:
        folder = Path(tmp)
        spec = write_spec(folder, **kwargs)
        proc = subprocess.Popen([sys.executable, "-m", "training.finetune_process", str(spec)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
        result: dict | None = None
        error: str | None = None
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if should_stop() and not (folder / "stop").exists():
                    (folder / "stop").touch()
                try:
                    msg = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "progress" in msg:
                    yield EpochProgress(**msg["progress"])
                elif "result" in msg:
                    result = msg["result"]
                elif "error" in msg:
                    error = msg["error"]
        finally:
            proc.wait()
            stderr = proc.stderr.read() if proc.stderr else ""
            if proc.stdout:
                proc.stdout.close()
            if proc.stderr:
                proc.stderr.close()
        if error is not None:
            raise TrainingError(error)
        if result is None:
            raise TrainingError(f"fine-tuning stopped unexpectedly: {stderr.strip()[-400:]}")
    from inference.card import load_card

    ckpt = Path(result["checkpoint"]) if result["checkpoint"] else None
    return FineTuneResult(
        card=load_card(ckpt) if ckpt else None,
        checkpoint=ckpt,
        onnx=Path(result["onnx"]) if result["onnx"] else None,
        best_val_accuracy=result["best_val_accuracy"],
        history=result["history"],
        device=result["device"],
        seconds=result["seconds"],
        cancelled=result["cancelled"],
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(run_child(sys.argv[1]))
