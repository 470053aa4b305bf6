"""ONNX export with a parity check against torch, cached per weights, and ONNX file vetting."""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from inference.card import ModelCard, ModelCardError, load_card, save_card
from inference.safety import UnsafeInputError, path_inside
from inference.weights import WeightsError, sha256_file

PARITY_ATOL = 1e-4
OUTPUTS = ("probs", "embeddings", "attention")


class ExportError(RuntimeError):
    """Export failed or the exported model disagrees with torch."""


class UnsafeModelError(WeightsError):
    """A model file refers to data outside its own folder, or is otherwise unsafe."""


def model_cache_dir() -> Path:
    """Where exported models are cached: ``$LABELER_MODEL_CACHE`` or the user's cache dir."""
    override = os.environ.get("LABELER_MODEL_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("LABELER_CACHE_DIR")
    if base:
        return Path(base) / "models"
    import platformdirs

    return Path(platformdirs.user_cache_dir("camtrap-labeler")) / "models"


def parity_batch(size: int, n: int = 4, seed: int = 0) -> np.ndarray:
    """Deterministic uint8 images (smooth gradients and noise) for parity checks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        base = np.stack([xx, yy, (xx + yy) / 2], -1) * 200 * rng.uniform(0.3, 1.0)
        out[i] = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
    return out


def export_onnx(net, card: ModelCard, target: str | os.PathLike[str]) -> Path:
    """Export ``net`` to ONNX at ``target`` (atomically), check parity, and write its card."""
    import torch

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name, suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    net = net.eval().to("cpu")
    dummy = torch.from_numpy(parity_batch(card.input_size, n=2))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                net,
                (dummy,),
                str(tmp),
                dynamo=False,
                input_names=["images"],
                output_names=list(OUTPUTS),
                dynamic_axes={"images": {0: "n"}, **{name: {0: "n"} for name in OUTPUTS}},
                opset_version=17,
            )
        check_parity(net, tmp, card)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    save_card(card, target)
    return target


def check_parity(net, onnx_path: str | os.PathLike[str], card: ModelCard) -> float:
    """Largest absolute difference of probabilities, torch vs onnxruntime; raises over 1e-4."""
    import onnxruntime as ort
    import torch

    batch = parity_batch(card.input_size)
    with torch.inference_mode():
        ref = net(torch.from_numpy(batch))[0]
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: batch})[0]
    diff = float(np.abs(ref.numpy() - got).max())
    if not diff <= PARITY_ATOL:
        raise ExportError(
            f"ONNX and torch disagree by {diff:.2e} (> {PARITY_ATOL}) for {card.version}"
        )
    return diff


def cache_target(card: ModelCard, cache: Path | None = None) -> Path:
    """Where the ONNX export of ``card`` is cached; the card's version never leaves the cache."""
    cache = cache or model_cache_dir()
    try:
        return path_inside(cache, f"{card.version}-{card.sha256[:16]}.onnx")
    except UnsafeInputError as exc:
        raise ModelCardError(f"model card version {card.version!r}: {exc}") from None


def _digest_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(onnx_path.name + ".sha256")


def cached_onnx(net_factory, card: ModelCard, cache: Path | None = None) -> Path:
    """Path of the exported ONNX for ``card`` (keyed by version and weights hash), exporting once.

    A cached file is trusted no more than any other model file: it is vetted on every hit, and
    exported again when it is a link or no longer matches the digest written at export.
    """
    target = cache_target(card, cache)
    if target.is_symlink():
        target.unlink()
    if target.is_file():
        try:
            vet_onnx(target)
        except UnsafeModelError:
            raise
        except WeightsError:
            pass  # unreadable (cut short, damaged): exported again below
        try:
            digest = _digest_path(target).read_text(encoding="ascii").strip()
            if load_card(target).to_json() == card.to_json() and digest == sha256_file(target):
                return target
        except (OSError, ValueError):
            pass
    path = export_onnx(net_factory(), card, target)
    tmp = _digest_path(path).with_name(_digest_path(path).name + ".tmp")
    tmp.write_text(sha256_file(path), encoding="ascii")
    os.replace(tmp, _digest_path(path))
    return path


def vet_onnx(path: str | os.PathLike[str]) -> None:
    """Refuse ONNX files whose external data lives outside the model's folder."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    p = Path(path)
    try:
        model = onnx.load(str(p), load_external_data=False)
    except Exception as exc:
        raise WeightsError(f"{p.name} is not a readable ONNX model: {str(exc)[:200]}") from exc
    folder = p.resolve().parent
    tensors = list(model.graph.initializer)
    for node in model.graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                tensors.append(attr.t)
    for t in tensors:
        if not uses_external_data(t):
            continue
        info = {e.key: e.value for e in t.external_data}
        loc = info.get("location", "")
        resolved = (folder / loc).resolve()
        if os.path.isabs(loc) or ".." in Path(loc).parts or folder not in resolved.parents:
            raise UnsafeModelError(
                f"{p.name} refers to external data {loc!r} outside its folder; refused"
            )


def export_in_subprocess(model: str, timeout_s: float = 600) -> None:
    """Make sure a built-in model's ONNX is cached, exporting it in a separate process.

    An export runs torch's tracer for seconds while holding the interpreter lock; in a
    separate process it cannot pause the window.
    """
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "inference.export", model],
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if proc.returncode != 0:
        raise ExportError(f"exporting {model} failed: {proc.stderr.strip()[-500:]}")


def main(argv: list[str] | None = None) -> int:
    """``python -m inference.export MODEL``: export and cache a built-in model's ONNX."""
    import sys

    from inference.models import load_classifier

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m inference.export MODEL", file=sys.stderr)
        return 2
    clf = load_classifier(args[0])
    print(getattr(clf, "path", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
