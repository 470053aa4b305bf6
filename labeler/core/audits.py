"""Audits, the review queue and certified auto-accept over the catalog.

The review queue mixes the most useful images with audits: one position in five (the audit
share) holds an image drawn at random from those nobody labeled, with its inclusion
probability recorded, shown like any other. The person's labels of audited images certify,
species by species, down to which confidence accepting the rest keeps the target accuracy with
a one-sided 95 % lower bound (see :mod:`training.audit` and :mod:`training.autoaccept`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inference.aggregate import project_matrix
from labeler.core.learning import current_head, embedding_model, training_set
from labeler.core.regions import plan_from_card, region_scores
from labeler.core.species import project_labels
from labeler.core.store import Store
from training.audit import (
    DEFAULT_ALPHA,
    DEFAULT_AUDIT_SHARE,
    DEFAULT_TARGET,
    audits_needed,
    draw_audit,
    stratum_of,
)
from training.autoaccept import Decision, Labeled, Pool, decide
from training.openworld import UNFAMILIAR_GATE
from training.queue import review_order

AUDIT_SETTING = "audit_share"
TARGET_SETTING = "target_accuracy"
PREVIEW = 200


def audit_share(store: Store) -> float:
    """The project's share of review positions that are audits (default 1 in 5)."""
    value = store.get_meta(AUDIT_SETTING, DEFAULT_AUDIT_SHARE)
    return float(min(max(value, 0.0), 1.0))


def zero_shot_matrix(store: Store, backbone: dict, image_ids, labels: list[str]) -> np.ndarray:
    """The pretrained model's probabilities of ``image_ids`` over the project's labels."""
    probs = store.stored_probs(backbone["id"], image_ids)
    m = project_matrix(backbone["card"]["labels"], labels)
    width = len(backbone["card"]["labels"])
    rows = [probs.get(int(i), np.zeros(width, np.float32)) for i in image_ids]
    return (np.stack(rows) @ m) if rows else np.zeros((0, len(labels)), np.float32)


def labeled_arrays(store: Store, backbone: dict, labels: list[str]) -> tuple[Labeled, list[int]]:
    """Every human-labeled image with its embedding, burst, audit facts and zero-shot row."""
    ts = training_set(store, backbone["id"])
    audits = store.audit_facts()
    ids = [int(i) for i in ts.image_ids]
    lab = Labeled(
        x=ts.embeddings,
        y=np.array(ts.labels, dtype=object),
        groups=np.array([str(g) for g in ts.groups], dtype=object),
        audit=np.array([i in audits for i in ids], bool),
        inclusion=np.array([audits.get(i, 1.0) for i in ids], np.float64),
        zero_shot=zero_shot_matrix(store, backbone, ids, labels),
    )
    return lab, ids


def pool_arrays(store: Store, backbone: dict, labels: list[str]) -> tuple[Pool, list[int]]:
    """Every usable image nobody labeled, with what the decision needs about it."""
    ids_all, emb = store.embeddings(backbone["id"])
    labeled = store.labeled_image_ids()
    keep = (
        np.array([int(i) not in labeled for i in ids_all], bool)
        if len(ids_all)
        else np.zeros(0, bool)
    )
    ids = [int(i) for i in ids_all[keep]] if len(ids_all) else []
    empty = store.empty_scores_of(backbone["id"])
    regions = region_scores(store, plan_from_card(backbone["card"]))
    bursts = store.burst_of_images()
    pool = Pool(
        x=emb[keep]
        if len(ids)
        else np.zeros((0, emb.shape[1] if emb.ndim == 2 else 0), np.float32),
        zero_shot=zero_shot_matrix(store, backbone, ids, labels),
        empty=np.array([empty.get(i, 0.0) for i in ids], np.float64),
        region=np.array([regions.get(i, 0.0) for i in ids], np.float64),
        bursts=np.array([bursts.get(i) for i in ids], dtype=object),
    )
    return pool, ids


@dataclass
class AutoAcceptPlan:
    """What auto-accept would write, and everything the person sees before it is written."""

    decisions: dict[int, tuple[str, float]]
    summary: dict
    preview: list[int] = field(default_factory=list)


def _decide(store: Store, target: float, alpha: float) -> tuple[Decision | None, list[int], dict]:
    backbone = embedding_model(store)
    if backbone is None:
        return None, [], {"reason": "run prediction first"}
    labels = project_labels(store)
    lab, _lab_ids = labeled_arrays(store, backbone, labels)
    pool, ids = pool_arrays(store, backbone, labels)
    found = current_head(store)
    head = found[1] if found is not None and set(found[1].classes) == set(lab.y.tolist()) else None
    corrections = store.corrected_machine_labels()
    decision = decide(lab, pool, labels, burst_labels=store.human_labels_of_bursts(),
                      target=target, alpha=alpha, head=head, corrections=corrections)  # fmt: skip
    return decision, ids, {"backbone": backbone["version"], "labels": len(lab.y),
                           "audits_answered": int(lab.audit.sum())}  # fmt: skip


def plan_auto_accept(
    store: Store, target: float = DEFAULT_TARGET, *, alpha: float = DEFAULT_ALPHA
) -> AutoAcceptPlan:
    """Which unlabeled images auto-accept would label now, with the audited figures behind it.

    Nothing is written. The summary gives per species the images, the audited accuracy and its
    lower bound, the audits it rests on and the expected errors; ``preview`` lists the accepted
    images lowest confidence first.
    """
    decision, ids, facts = _decide(store, target, alpha)
    active = store.active_model()
    version = active["version"] if active else "none"
    if decision is None:
        return AutoAcceptPlan({}, {"reason": facts["reason"], "accepted": 0, "target": target,
                                   "model_version": version, "per_species": {}})  # fmt: skip
    decisions = {ids[row]: value for row, value in decision.accepted.items()}
    per_species = decision.per_species()
    summary = {
        "model_version": version,
        "backbone_version": facts["backbone"],
        "target": target,
        "confidence": 1 - alpha,
        "unlabeled": len(ids),
        "accepted": len(decisions),
        "share": round(len(decisions) / len(ids), 4) if ids else 0.0,
        "per_species": per_species,
        "expected_errors": round(sum(s["expected_errors"] for s in per_species.values()), 2),
        "audits_answered": facts["audits_answered"],
        "audits_needed_per_species": audits_needed(target, alpha),
        "certificates": {k: c.to_json() for k, c in sorted(decision.certificates.items())},
        "held_back": decision.held_back,
        "unfamiliar": int((decision.unfamiliar > UNFAMILIAR_GATE).sum()),
        "per_species_counts": {k: v["images"] for k, v in per_species.items()},
    }
    preview = sorted(decisions, key=lambda i: decisions[i][1])[:PREVIEW]
    return AutoAcceptPlan(decisions, summary, preview)


def auto_accept_candidates(store: Store, target: float = DEFAULT_TARGET) -> tuple[dict, dict]:
    """(decisions, summary) of :func:`plan_auto_accept`."""
    plan = plan_auto_accept(store, target)
    return plan.decisions, plan.summary


@dataclass
class ReviewPlan:
    """The review order, and audits drawn for it that must be recorded before it is shown."""

    order: list[int]
    new_audits: list[tuple[int, float, str, int, int, str | None]] = field(default_factory=list)


def plan_review(
    store: Store,
    *,
    strategy: str = "margin",
    k: int | None = None,
    share: float | None = None,
    seed: int | None = None,
    audit_slots: int = 10,
) -> ReviewPlan:
    """Unlabeled images in review order: unfamiliar ones first, then the most uncertain (one
    frame per burst per pass), with every ``1/share``-th position an audit. Reads only: new
    audits come back to be recorded (:func:`record_audits`)."""
    share = audit_share(store) if share is None else share
    active = store.active_model()
    if active is None:
        return ReviewPlan([])
    rows = store.unlabeled_probabilities(active["id"])
    if not rows:
        return ReviewPlan([])
    ids = [int(r[0]) for r in rows]
    probs = np.stack([r[1] for r in rows])
    bursts = [r[2] for r in rows]
    labels = active["card"]["labels"]
    order = [ids[i] for i in review_order(probs, bursts, strategy=strategy)]
    unfamiliar = _unfamiliar_first(store, ids)
    order = unfamiliar + [i for i in order if i not in set(unfamiliar)]
    pending = [i for i in store.pending_audits() if i in set(ids)]
    new: list[tuple[int, float, str, int, int, str | None]] = []
    if share > 0:
        slots = audit_slots if k is None else max(1, int(k * share) + 1)
        rng = np.random.default_rng(seed)
        taken = set(pending)
        top = probs.argmax(axis=1)
        strata_all = np.array(
            [stratum_of(labels[t], float(probs[r, t])) for r, t in enumerate(top)], dtype=object
        )
        while len(pending) + len(new) < slots:
            free = [j for j, i in enumerate(ids) if i not in taken]
            if not free:
                break
            draw = draw_audit(strata_all[free], rng)
            image = ids[free[draw.index]]
            taken.add(image)
            new.append((image, draw.inclusion, draw.stratum, draw.stratum_size, draw.pool_size,
                        active["version"]))  # fmt: skip
        audits = pending + [n[0] for n in new]
        step = max(1, round(1 / share))
        rest = [i for i in order if i not in set(audits)]
        merged: list[int] = []
        while rest or audits:
            if audits and (len(merged) + 1) % step == 0 or not rest:
                merged.append(audits.pop(0))
            else:
                merged.append(rest.pop(0))
        order = merged
    return ReviewPlan(order[:k] if k else order, new)


def _unfamiliar_first(store: Store, ids: list[int]) -> list[int]:
    """Unlabeled images unlike anything labeled, most unfamiliar first."""
    from training.openworld import unfamiliarity

    backbone = embedding_model(store)
    if backbone is None:
        return []
    ts = training_set(store, backbone["id"])
    if len(ts.labels) < 2:
        return []
    all_ids, emb = store.embeddings(backbone["id"])
    row = {int(i): r for r, i in enumerate(all_ids)}
    have = [i for i in ids if i in row]
    if not have:
        return []
    unf = unfamiliarity(emb[[row[i] for i in have]], ts.embeddings, ts.groups)
    picked = [(u, i) for u, i in zip(unf, have, strict=True) if u > UNFAMILIAR_GATE]
    return [i for _u, i in sorted(picked, key=lambda p: -p[0])]


def record_audits(store: Store, plan: ReviewPlan) -> None:
    """Keep the audits a review plan drew (before its images are shown)."""
    if plan.new_audits:
        store.add_audits(plan.new_audits)


def review_queue(store: Store, *, strategy: str = "margin", k: int | None = None,
                 share: float | None = None, seed: int | None = None) -> list[int]:  # fmt: skip
    """The review order with its audits recorded (for callers that hold the writer)."""
    plan = plan_review(store, strategy=strategy, k=k, share=share, seed=seed)
    if not store.readonly:
        record_audits(store, plan)
    return plan.order


def describe_audited(summary: dict, name_of=lambda k: k) -> str:
    """The audited estimate in words: what would be accepted and what holds the rest back."""
    lines = []
    per = summary.get("per_species", {})
    if per:
        lines.append(
            f"{summary['accepted']} of {summary['unlabeled']} unlabeled images ({summary['share']:.0%}) "
            f"can be accepted at {summary['target']:.1%} accuracy (95% lower bound), about "
            f"{summary['expected_errors']:.1f} expected errors:"
        )
        for key, s in per.items():
            lines.append(
                f"  {name_of(key)}: {s['images']} images, audited accuracy {s['estimate']:.1%} "
                f"(at least {s['lower_bound']:.1%}) on {s['audits']:.0f} audits"
            )
    else:
        lines.append(
            f"Nothing can be accepted at {summary.get('target', 0.966):.1%} yet: a species needs "
            f"{summary.get('audits_needed_per_species', 87)} audited images without an error first "
            f"({summary.get('audits_answered', 0)} audits answered so far)."
        )
    certs = summary.get("certificates", {})
    close = sorted((c for c in certs.values() if not c["certified"] and c["audits"] > 0),
                   key=lambda c: -c["audits"])[:3]  # fmt: skip
    for c in close:
        lines.append(
            f"  {name_of(c['label'])}: {c['audits']:.0f} audits, {c['errors']:.0f} wrong; "
            f"needs {max(0, c['audits_needed'] - round(c['audits']))} more error-free audits"
        )
    held = summary.get("held_back", {})
    if held:
        lines.append("Held back: " + "; ".join(f"{v} images ({k})" for k, v in held.items()))
    return "\n".join(lines)
