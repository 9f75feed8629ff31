"""Training checkpoints: full resume state, written atomically, loaded with clear errors.

A checkpoint is a ``torch.save`` dict::

    format "fastspeak-checkpoint", version 1, kind "fastspeech2"
    model      state_dict (statistics buffers included)
    optimizer  state_dict;  scaler: GradScaler state or None;  ema: AveragedModel state or None
    step       optimizer updates done;  epoch, batch_in_epoch: where the data order resumes
    config     Config.to_dict() (model section with the data's vocab size, speakers, stats)
    vocab      Vocabulary.to_dict();  speakers {name: id};  stats (the FEATDIR's stats.json)

so it rebuilds its model without the FEATDIR. ``--resume`` needs the same vocabulary and
speakers; fine-tuning on other data goes through ``--init-from`` and
:func:`load_matching_weights`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from fastspeak.config import Config, ConfigError, config_from_dict, given_differences
from fastspeak.files import atomic_path
from fastspeak.text.vocab import Vocabulary

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "CheckpointError",
    "Checkpointer",
    "MatchReport",
    "check_checkpoint_settings",
    "load_checkpoint",
    "load_matching_weights",
    "model_weights",
    "run_data",
    "restore_model",
    "resume_position",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "fastspeak-checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint is missing, damaged, or does not fit the current data or model."""


def save_checkpoint(path: str | Path, state: Mapping[str, Any]) -> Path:
    """``torch.save`` to a temporary file in the same folder, then ``os.replace``: a crash
    mid-write never leaves a truncated checkpoint under ``path``."""
    path = Path(path)
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}
    with atomic_path(path) as temporary, temporary.open("wb") as file:
        torch.save(payload, file)
        file.flush()
        os.fsync(file.fileno())
    return path


def load_checkpoint(path: str | Path, mmap: bool = False) -> dict[str, Any]:
    """Read a checkpoint onto the CPU and check its format. ``mmap``: memory-map the tensors
    instead of reading them (to look at its other entries cheaply)."""
    path = Path(path)
    if path.is_dir():
        latest = path / "checkpoints" / "latest.pt"
        hint = f"; did you mean {latest}?" if latest.is_file() else ""
        raise CheckpointError(f"checkpoint {path} is a folder, not a checkpoint file{hint}")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if not zipfile.is_zipfile(path):
        # torch.save writes zip archives; unpickling other bytes fails with any exception type
        raise CheckpointError(
            f"cannot read checkpoint {path}: it is not a PyTorch zip archive; the file is "
            "damaged or not a checkpoint written by `fastspeak train`"
        )
    try:
        # weights_only=False: the checkpoint holds plain dicts/lists/str besides tensors;
        # only load checkpoints you trust (as with any pickle).
        checkpoint = torch.load(path, map_location="cpu", weights_only=False, mmap=mmap)
    except (OSError, RuntimeError, EOFError) as error:
        raise CheckpointError(f"cannot read checkpoint {path}: {error}") from error
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a fastspeak training checkpoint")
    if checkpoint.get("version", 0) > CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {checkpoint['version']}; this fastspeak reads up to "
            f"{CHECKPOINT_VERSION}: upgrade fastspeak"
        )
    return checkpoint


def run_data(run_dir: str | Path) -> dict[str, Any]:
    """The data a run trained on, as its latest checkpoint records it: {"feat_dir": path, and
    for a vocoder fine-tune "gta_dir": path}; {} when it records none (runs before stop 22).
    Reads only that entry (the weights are memory-mapped, not loaded)."""
    path = Path(run_dir) / "checkpoints" / "latest.pt"
    if not path.is_file():
        raise CheckpointError(f"{run_dir} holds no checkpoint to resume ({path} does not exist)")
    data = load_checkpoint(path, mmap=True).get("data") or {}
    return {key: value for key, value in data.items() if value}


def check_checkpoint_settings(
    config: Config,
    checkpoint: Mapping[str, Any],
    sections: Sequence[str],
    origin: str,
    fix: str,
    ignore: Collection[str] = (),
) -> None:
    """Refuse a config that asks for other values in the ``sections`` a run takes from its
    checkpoint (``"model"``; ``"vocoder.generator"``...), where they would be dropped
    without a word: the keys given with --config/--set (see
    :func:`fastspeak.config.given_keys`) are compared with ``checkpoint["config"]``, except
    the ``ignore`` ones (those the data sets, such as the vocabulary size).

    Raises:
        ConfigError naming each differing key with both values, ``origin`` (which checkpoint,
        and what comes from it) and ``fix``.
    """
    saved = config_from_dict(checkpoint["config"])
    differences = [
        item for section in sections for item in given_differences(config, saved, section, ignore)
    ]
    if differences:
        listed = "; ".join(
            f"{key}={value!r} (the checkpoint has {kept!r})" for key, value, kept in differences
        )
        raise ConfigError(f"{origin}, but --config/--set give other values: {listed}; {fix}")


def _describe_vocab_difference(saved: Vocabulary, current: Vocabulary) -> str:
    if saved.inventory != current.inventory:
        return f"inventory {saved.inventory!r} in the checkpoint, {current.inventory!r} in the data"
    added = [s for s in current.symbols if s not in saved]
    removed = [s for s in saved.symbols if s not in current]
    parts = [f"{len(saved)} symbols in the checkpoint, {len(current)} in the data"]
    if added:
        parts.append(f"new in the data: {' '.join(added[:20])}")
    if removed:
        parts.append(f"missing from the data: {' '.join(removed[:20])}")
    if not added and not removed:
        parts.append("same symbols in a different id order")
    return "; ".join(parts)


def restore_model(
    checkpoint: Mapping[str, Any],
    model: nn.Module,
    vocab: Vocabulary | None = None,
    speakers: Mapping[str, int] | None = None,
    strict: bool = True,
) -> None:
    """Load ``checkpoint["model"]`` into ``model`` after checking that the checkpoint's
    vocabulary and speakers equal the current data's (when given).

    Raises:
        CheckpointError naming what differs and the fix (``--init-from CKPT`` to fine-tune a
        checkpoint on different data: matching weights are copied, the rest start fresh).
    """
    fix = (
        "to fine-tune this checkpoint on the new data, start a new run with --init-from CKPT "
        "(weights whose names and shapes match are copied); to resume, use the FEATDIR the "
        "checkpoint was trained on"
    )
    if vocab is not None and "vocab" in checkpoint:
        saved = Vocabulary.from_dict(checkpoint["vocab"])
        if saved != vocab:
            raise CheckpointError(
                f"vocabulary mismatch: {_describe_vocab_difference(saved, vocab)}; {fix}"
            )
    if speakers is not None and "speakers" in checkpoint:
        saved_speakers = dict(checkpoint["speakers"])
        if saved_speakers != dict(speakers):
            added = sorted(set(speakers) - set(saved_speakers))
            removed = sorted(set(saved_speakers) - set(speakers))
            detail = f"new in the data: {added}; missing from the data: {removed}"
            if not added and not removed:
                detail = "same names with different ids"
            raise CheckpointError(
                f"speaker mismatch: {len(saved_speakers)} speaker(s) in the checkpoint, "
                f"{len(speakers)} in the data ({detail}); {fix}"
            )
    try:
        model.load_state_dict(checkpoint["model"], strict=strict)
    except RuntimeError as error:
        raise CheckpointError(
            f"checkpoint weights do not fit this model (was it made with another model "
            f"config?): {error}; {fix}"
        ) from error


@dataclass
class MatchReport:
    """What :func:`load_matching_weights` copied and skipped (name -> reason)."""

    loaded: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"copied {len(self.loaded)} tensors, skipped {len(self.skipped)}"]
        lines += [f"  skipped {name}: {reason}" for name, reason in self.skipped.items()]
        return "\n".join(lines)


def model_weights(checkpoint: Mapping[str, Any], use_ema: bool) -> dict[str, torch.Tensor]:
    """A checkpoint's model weights: the EMA copy when asked for and present, else the raw ones.

    The trainer saves ``torch.optim.swa_utils.AveragedModel.state_dict()`` as ``ema``: the
    model's keys under ``module.`` plus an ``n_averaged`` counter.
    """
    ema = checkpoint.get("ema")
    if not use_ema or ema is None:
        return dict(checkpoint["model"])
    prefix = "module."
    if any(key.startswith(prefix) for key in ema):
        return {key[len(prefix) :]: value for key, value in ema.items() if key.startswith(prefix)}
    return dict(ema)


def rows_by_name(
    weights: dict[str, torch.Tensor],
    model: nn.Module,
    tables: Mapping[str, tuple[Mapping[str, int], Mapping[str, int]]],
) -> dict[str, str]:
    """Rewrite embedding tables of a source checkpoint's ``weights`` (in place) into
    ``model``'s rows by name: for each parameter name -> (source name -> row, this model's
    name -> row) in ``tables`` (tokens, speakers), a name both know takes its source row,
    a new name keeps this model's initial row. Fine-tuning on another speaker set or
    vocabulary then keeps every known speaker's and symbol's embedding, where copying by
    position gave speakers each other's voices. Returns name -> what was mapped (for the
    report)."""
    own = model.state_dict()
    mapped: dict[str, str] = {}
    for name, (source, target) in tables.items():
        if name not in weights or name not in own:
            continue
        rows, table = weights[name], own[name].clone()
        known = 0
        for key, index in target.items():
            row = source.get(key)
            if row is not None and row < rows.shape[0] and index < table.shape[0]:
                table[index] = rows[row].to(table.dtype)
                known += 1
        weights[name] = table
        mapped[name] = f"{known} of {len(target)} rows by name, {len(target) - known} new"
    return mapped


def load_matching_weights(
    model: nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    keep: Mapping[str, str] | None = None,
) -> MatchReport:
    """Copy every tensor of ``state_dict`` whose name and shape match one of ``model``'s
    (for fine-tuning with a new vocabulary or speaker set); the rest keep their values, as do
    the tensors named in ``keep`` (name -> why, for the report)."""
    own = model.state_dict()
    report = MatchReport()
    matched = {}
    keep = keep or {}
    for name, tensor in state_dict.items():
        if name in keep:
            report.skipped[name] = keep[name]
        elif name not in own:
            report.skipped[name] = "not in this model"
        elif tuple(own[name].shape) != tuple(tensor.shape):
            report.skipped[name] = (
                f"shape {tuple(tensor.shape)} in the checkpoint, {tuple(own[name].shape)} here"
            )
        else:
            matched[name] = tensor
            report.loaded.append(name)
    for name in own:
        if name not in state_dict:
            report.skipped[name] = "not in the checkpoint (kept its initial value)"
    model.load_state_dict(matched, strict=False)
    return report


def resume_position(
    checkpoint: Mapping[str, Any], batch_order: Mapping[str, Any]
) -> tuple[int, int, str | None]:
    """Where a resumed run starts: (epoch, batch_in_epoch, note).

    A checkpoint saved mid-epoch continues that epoch's batch list exactly when the settings
    that make the list (``batch_order``: process count, batch size, seed, ...) are the ones it
    saved. When they differ, cutting the new list at the old position would repeat some
    utterances and skip others, so the run starts the next epoch instead and ``note`` says so.
    Checkpoints without ``batch_order`` (older ones) are taken as matching.
    """
    epoch, batch_in_epoch = int(checkpoint["epoch"]), int(checkpoint["batch_in_epoch"])
    saved = checkpoint.get("batch_order")
    if saved is None or batch_in_epoch == 0 or dict(saved) == dict(batch_order):
        return epoch, batch_in_epoch, None
    changes = ", ".join(
        f"{name} {saved.get(name)} -> {value}"
        for name, value in batch_order.items()
        if saved.get(name) != value
    )
    note = (
        f"resuming with another batch order ({changes}): the rest of epoch {epoch} is "
        f"skipped, training goes on with epoch {epoch + 1}"
    )
    return epoch + 1, 0, note


class Checkpointer:
    """Writes ``run_dir/checkpoints/latest.pt`` every ``save_interval`` steps (overwritten)
    and keeps ``step_000010000.pt`` milestones every ``milestone_interval`` steps."""

    def __init__(self, run_dir: str | Path, save_interval: int, milestone_interval: int) -> None:
        self.directory = Path(run_dir) / "checkpoints"
        self.save_interval = save_interval
        self.milestone_interval = milestone_interval

    @property
    def latest(self) -> Path:
        return self.directory / "latest.pt"

    def milestone(self, step: int) -> Path:
        return self.directory / f"step_{step:09d}.pt"

    def due(self, step: int, force: bool = False) -> bool:
        """Whether :meth:`save` writes anything at ``step`` (``force``: always)."""
        return force or any(
            interval > 0 and step % interval == 0
            for interval in (self.save_interval, self.milestone_interval)
        )

    def save(self, step: int, state: dict[str, Any]) -> Path:
        """Write latest.pt, and the milestone when one is due at ``step``; returns latest.pt."""
        if self.milestone_interval > 0 and step % self.milestone_interval == 0:
            save_checkpoint(self.milestone(step), state)
        return save_checkpoint(self.latest, state)
