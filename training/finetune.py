"""Full fine-tuning of the backbone on confirmed labels (transfer learning, progressive unfreezing).

``fine_tune`` is a plain generator: it yields :class:`EpochProgress` and returns a
:class:`FineTuneResult`. Checkpoints are written atomically as safetensors; the final model is
exported to ONNX with a parity check. It runs on CUDA or MPS when present, else the CPU.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from inference.card import ModelCard, save_card
from inference.preprocess import MID_LONG, load_frame
from training.head import Head, class_weights


class TrainingError(RuntimeError):
    """Fine-tuning could not run; the previous model stays in use."""


@dataclass(frozen=True)
class EpochProgress:
    """One step of training (``phase`` is train or validate)."""

    epoch: int
    epochs: int
    phase: str
    step: int
    steps: int
    loss: float
    val_accuracy: float | None
    unfrozen: str
    elapsed_s: float


@dataclass
class FineTuneResult:
    """What a fine-tune produced."""

    card: ModelCard | None
    checkpoint: Path | None
    onnx: Path | None
    best_val_accuracy: float
    history: list[dict] = field(default_factory=list)
    device: str = "cpu"
    seconds: float = 0.0
    cancelled: bool = False


def _augment(batch, train: bool, size: int):
    import torch
    from torchvision.transforms import v2

    if not train:
        return v2.functional.center_crop(batch, [size, size])
    ops = v2.Compose([
        v2.RandomResizedCrop(size, scale=(0.6, 1.0), ratio=(0.8, 1.25), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomRotation(8),
        v2.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.2),
    ])  # fmt: skip
    return torch.stack([ops(img) for img in batch])


def _unfreeze(net, epoch: int) -> str:
    """Epoch 0: head only; epoch 1: also the last blocks; later: everything."""
    backbone = net.backbone
    for p in backbone.parameters():
        p.requires_grad = epoch >= 2
    if epoch == 1:
        for module in (backbone.blocks[-2:], backbone.conv_head, backbone.bn2):
            for p in module.parameters():
                p.requires_grad = True
    for p in net.head.parameters():
        p.requires_grad = True
    return ("head", "head + last blocks", "all layers")[min(epoch, 2)]


def _train_mode(net) -> None:
    """Train mode, but batch-norm statistics stay frozen: small batches of a few hundred
    images would otherwise overwrite what ImageNet taught them."""
    from torch import nn

    net.train()
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def _load_images(samples: Sequence[tuple], size: int) -> tuple[np.ndarray, list[int]]:
    """The views the network is trained and validated on, and the sample each belongs to.

    Every sample gives its whole frame; one with an animal box (``(path, label, box)``) also
    gives the padded square crop around it, as prediction does. Unreadable samples are left out.
    """
    from inference.localize import Region, square_crop_box

    arrays, owner = [], []
    for i, sample in enumerate(samples):
        box = sample[2] if len(sample) > 2 else None
        try:
            frame = load_frame(sample[0], size, MID_LONG)
        except Exception:
            continue
        arrays.append(frame.whole)
        owner.append(i)
        if box is not None:
            h, w = frame.mid.shape[:2]
            arrays.append(frame.crop(square_crop_box(Region(*box, 1.0, "box"), w, h), size))
            owner.append(i)
    if not arrays:
        return np.zeros((0, size, size, 3), np.uint8), owner
    return np.stack(arrays), owner


def save_checkpoint_atomic(state: dict, path: Path) -> None:
    """Write a safetensors checkpoint through a temporary file and an atomic rename."""
    from safetensors.torch import save_file

    tmp = path.with_name(path.name + ".partial")
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tmp))
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fine_tune(
    train: Sequence[tuple],
    val: Sequence[tuple],
    *,
    base: str = "lite0",
    out_dir: str | os.PathLike[str],
    version: str,
    init_head: Head | None = None,
    epochs: int = 4,
    batch_size: int = 16,
    lr: float = 1e-3,
    device: str = "auto",
    should_stop: Callable[[], bool] = lambda: False,
    export: bool = True,
    network=None,
    base_card: ModelCard | None = None,
) -> Generator[EpochProgress, None, FineTuneResult]:
    """Fine-tune ``base`` on ``train`` samples, validating on ``val`` after each epoch.

    A sample is ``(path, label)`` or ``(path, label, box)`` with the animal's normalised box:
    the network then learns from both the whole frame and the crop around the animal, and is
    validated on their averaged probabilities, as prediction uses them. The classifier starts
    from ``init_head`` (the instant-learning head) when given. Raises TrainingError when CUDA
    runs out of memory or no image can be read.
    """
    import torch
    from torch import nn

    from inference.backends import torch_device
    from inference.export import export_onnx
    from inference.network import ClassifierNet, build_pretrained, target_mask
    from inference.weights import PRETRAINED

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    classes = sorted({s[1] for s in train} | {s[1] for s in val})
    if len(classes) < 2:
        raise TrainingError("fine-tuning needs confirmed labels of at least two classes")
    index = {c: i for i, c in enumerate(classes)}
    if network is None and base in PRETRAINED:
        pretrained, base_card = build_pretrained(base)
        backbone = pretrained.backbone
    elif network is None:
        from inference.card import load_card
        from inference.network import load_headed

        if not Path(base).is_file():
            raise TrainingError(f"no built-in model or weights file named {base!r}")
        base_card = load_card(base)
        backbone = load_headed(base_card, str(base)).backbone
    else:
        backbone = network.backbone
    assert base_card is not None
    size = base_card.input_size
    net = ClassifierNet(
        backbone, base_card.mean, base_card.std, head=nn.Linear(backbone.num_features, len(classes)),
        target=target_mask(classes),
    )  # fmt: skip
    if init_head is not None and set(init_head.classes) <= set(classes):
        # Start from the instant head, folded into raw-embedding space. Features that barely
        # vary would get huge weights from the folding, so their scale is floored first.
        with torch.no_grad():
            scale = np.maximum(init_head.scale, np.median(init_head.scale))
            w = init_head.weight / scale[:, None]
            b = init_head.bias - (init_head.mean / scale) @ init_head.weight
            net.head.weight.zero_()
            net.head.bias.fill_(-10.0)
            for j, c in enumerate(init_head.classes):
                net.head.weight[index[c]] = torch.from_numpy(w[:, j])
                net.head.bias[index[c]] = float(b[j])
    dev = torch_device(device)
    margin = int(size * 1.15)
    x_train, ok_train = _load_images(train, margin)
    x_val, ok_val = _load_images(val, margin)
    if len(ok_train) == 0:
        raise TrainingError("none of the training images could be read")
    y_train = np.array([index[train[i][1]] for i in ok_train], np.int64)
    y_val = np.array([index[val[i][1]] for i in ok_val], np.int64)
    owner_val = np.array(ok_val, np.int64)
    weights = torch.from_numpy(class_weights(y_train, len(classes))).to(dev)
    net = net.to(dev)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    history: list[dict] = []
    best = -1.0
    ckpt = out / f"{version}.safetensors"
    card = replace(
        base_card, name=version, version=version, labels=tuple(classes), kind="finetuned",
        parent_version=base_card.version, sha256="", embedding_dim=backbone.num_features,
        extra={"base": base, "train_images": len(set(ok_train)), "val_images": len(set(ok_val)),
               "train_views": len(ok_train)},
    )  # fmt: skip
    rng = np.random.default_rng(0)
    cancelled = False
    steps = max(1, int(np.ceil(len(ok_train) / batch_size)))
    try:
        for epoch in range(epochs):
            unfrozen = _unfreeze(net, epoch)
            params = [p for p in net.parameters() if p.requires_grad]
            opt = torch.optim.AdamW(
                params, lr=lr * (1.0, 0.1, 0.03)[min(epoch, 2)], weight_decay=1e-4
            )
            _train_mode(net)
            order = rng.permutation(len(ok_train))
            running = 0.0
            for step in range(steps):
                if should_stop():
                    cancelled = True
                    break
                idx = order[step * batch_size : (step + 1) * batch_size]
                xb = torch.from_numpy(x_train[idx]).permute(0, 3, 1, 2)
                xb = _augment(xb, True, size).permute(0, 2, 3, 1).contiguous().to(dev)
                yb = torch.from_numpy(y_train[idx]).to(dev)
                probs_logits = net.head(net.embed(xb))
                loss = loss_fn(probs_logits, yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                value = float(loss.detach())
                running = 0.9 * running + 0.1 * value if step else value
                yield EpochProgress(epoch + 1, epochs, "train", step + 1, steps, running, None, unfrozen,
                                    time.perf_counter() - t0)  # fmt: skip
            if cancelled:
                break
            acc = _validate(net, x_val, y_val, owner_val, size, dev, batch_size)
            history.append(
                {"epoch": epoch + 1, "loss": running, "val_accuracy": acc, "unfrozen": unfrozen}
            )
            yield EpochProgress(epoch + 1, epochs, "validate", steps, steps, running, acc, unfrozen,
                                time.perf_counter() - t0)  # fmt: skip
            if acc > best:
                best = acc
                save_checkpoint_atomic(net.state_dict(), ckpt)
    except torch.cuda.OutOfMemoryError as exc:
        raise TrainingError(
            f"the GPU ran out of memory ({exc}); try a smaller batch. The previous model stays in use."
        ) from exc
    onnx_path = None
    if best >= 0 and ckpt.exists():
        from inference.weights import load_state_dict, sha256_file

        card = replace(card, sha256=sha256_file(ckpt))
        save_card(card, ckpt)
        if export and not cancelled:
            net.load_state_dict(load_state_dict(ckpt), strict=False)
            onnx_path = export_onnx(net.to("cpu").eval(), card, out / f"{version}.onnx")
    return FineTuneResult(card if best >= 0 else None, ckpt if best >= 0 else None, onnx_path, best,
                          history, dev, time.perf_counter() - t0, cancelled)  # fmt: skip


def _validate(net, x: np.ndarray, y: np.ndarray, owner: np.ndarray, size: int, dev: str,
              batch_size: int) -> float:  # fmt: skip
    """Accuracy over samples, each judged on the mean probabilities of its views."""
    import torch

    if len(y) == 0:
        return float("nan")
    net.eval()
    probs = []
    with torch.inference_mode():
        for start in range(0, len(y), batch_size):
            xb = torch.from_numpy(x[start : start + batch_size]).permute(0, 3, 1, 2)
            xb = _augment(xb, False, size).permute(0, 2, 3, 1).contiguous().to(dev)
            probs.append(net(xb)[0].float().cpu().numpy())
    _train_mode(net)
    p = np.concatenate(probs)
    samples = np.unique(owner)
    fused = np.stack([p[owner == s].mean(axis=0) for s in samples])
    truth = np.array([y[owner == s][0] for s in samples])
    return float((fused.argmax(axis=1) == truth).mean())
