"""``fastspeak align``: train the aligner on a FEATDIR, then export its durations.

    train_aligner(config, feat_dir, out_dir, max_steps=None, resume=False)

trains on the train split (the ``align`` section's recipe; device, seed, data workers, log,
validation and checkpoint intervals from ``train``), then aligns every utterance of every
split and writes to OUT:

    checkpoints/latest.pt   {kind: "aligner", model, optimizer, step, epoch, config, vocab,
                            speakers} (atomic; ``--resume`` continues from it)
    textgrids/<id>.TextGrid a "phones" tier: one interval per token, labelled with the token
                            (boundary tokens included, as teacher corpora write them)
    durations.jsonl         {"id", "durations": [frames per token]} for every utterance, the
                            format ``fastspeak preprocess --durations`` reads
    report.json             steps, utterances, phone-boundary error of the learned durations
                            against the FEATDIR's own durations per split (the acceptance
                            figure is the test split's), and where the FEATDIR gives its
                            teacher's blanks (piper corpora) the same to the nearest cut
                            inside each blank (``boundary_error_within_blanks``), timings
    train_log.jsonl, tensorboard/

Ctrl-C (SIGINT) while training ends the step under way as the last: ``latest.pt`` is saved at
it (no validation, no export), then KeyboardInterrupt is raised; ``--resume`` continues. A
second Ctrl-C quits at once, without saving.

Times and durations cover the FEATDIR's audio: with ``features.trim_edge_silence`` that is the
audio trimmed by the corpus's TextGrids, which ``preprocess --durations`` trims the same way
when the corpus still has them (a FEATDIR of placeholder durations is never trimmed).

With ``align.duration_prior_rounds`` > 0 the aligner's durations are re-segmented under a
duration prior fitted to the corpus (:mod:`fastspeak.aligners.duration_prior`), and with
``align.refine_iterations`` > 0 then refined by self-training a frame classifier
(:mod:`fastspeak.aligners.refine`); either way report.json also gives the aligner's own error
(``boundary_error_aligner``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch.utils.data import DataLoader
from tqdm import tqdm

from fastspeak.aligners.duration_prior import resegment_with_duration_prior
from fastspeak.aligners.losses import AlignerLoss
from fastspeak.aligners.metrics import boundary_errors
from fastspeak.aligners.model import Aligner, AlignerOutput, state_count
from fastspeak.aligners.refine import refine_durations
from fastspeak.config import AudioConfig, Config, config_from_dict
from fastspeak.data.alignments import Segment, write_textgrid
from fastspeak.data.batch import Batch
from fastspeak.data.dataset import PLACEHOLDER, DatasetError, FeatureDataset, load_feature_dir
from fastspeak.data.sampler import LengthBucketSampler, length_bucketed_loader
from fastspeak.files import atomic_write_text, new_folder_problem, write_json
from fastspeak.train.checkpoint import (
    Checkpointer,
    CheckpointError,
    check_checkpoint_settings,
    load_checkpoint,
    restore_model,
)
from fastspeak.train.distributed import (
    DistributedContext,
    StopRequest,
    resolve_device,
    stop_reason,
)
from fastspeak.train.log import TrainLogger, close_interrupted
from fastspeak.train.schedule import LearningRateSchedule

__all__ = [
    "ALIGNER_KIND",
    "AlignerRunError",
    "align_split",
    "export_alignments",
    "prepare_aligner_config",
    "train_aligner",
]

ALIGNER_KIND = "aligner"
SPLITS = ("train", "val", "test")


class AlignerRunError(ValueError):
    """``--out`` cannot take the aligner run: it is the FEATDIR (or inside it), a file, or a
    non-empty folder that holds no aligner run."""


def check_out_dir(feat_dir: Path, out_dir: Path, resume: bool) -> None:
    """Refuse an ``out_dir`` whose files would overwrite or mix with others' files.

    The run writes report.json, config.yaml and checkpoints/, so ``out_dir`` must not be the
    FEATDIR or lie inside it (its report.json and config.yaml would be replaced). Without
    ``resume`` it must also be new or empty: an existing aligner run needs ``--resume``, any
    other folder with files in it is someone else's.

    Raises:
        AlignerRunError: ``out_dir`` is the FEATDIR or inside it, a file, or a non-empty
            folder that is not an aligner run (without ``resume``).
        CheckpointError: ``out_dir`` holds an aligner run and ``resume`` is not given.
    """
    data, out = feat_dir.resolve(), out_dir.resolve()
    if out == data or data in out.parents:
        where = "is the source FEATDIR" if out == data else f"is inside the FEATDIR {feat_dir}"
        raise AlignerRunError(
            f"--out {out_dir} {where}: the run's report.json and config.yaml would overwrite "
            "the FEATDIR's; choose a new folder outside it"
        )
    if resume:
        return
    latest = out_dir / "checkpoints" / "latest.pt"
    if latest.exists():
        raise CheckpointError(
            f"{out_dir} already holds an aligner run ({latest}); pass --resume to "
            "continue it (or to re-export) or choose another --out"
        )
    problem = new_folder_problem(out_dir)
    if problem:
        raise AlignerRunError(f"{problem} (it holds no aligner run to --resume)")


def prepare_aligner_config(config: Config, feat_dir: Path) -> Config:
    """The run's config: audio/text/features from FEATDIR/config.yaml, the aligner's
    ``vocab_size`` and ``n_mels`` from the data."""
    config = copy.deepcopy(config)
    data_file = Path(feat_dir) / "config.yaml"
    if data_file.is_file():
        data_config = config_from_dict(yaml.safe_load(data_file.read_text()))
        config.audio, config.text = data_config.audio, data_config.text
        config.features = data_config.features
    vocab, _, _ = load_feature_dir(feat_dir)
    config.align.vocab_size = len(vocab)
    config.align.n_mels = config.audio.n_mels
    return config


def _alignable(dataset: FeatureDataset, transition_tokens: bool) -> tuple[list[int], list[str]]:
    """Indices of items MAS can align (at least one frame per state: token, or token and
    transition) and the ids of the rest."""
    keep, dropped = [], []
    for index, entry in enumerate(dataset.entries):
        states = state_count(len(entry["tokens"]), transition_tokens)
        if 1 <= states <= int(entry["frames"]):
            keep.append(index)
        else:
            dropped.append(str(entry["id"]))
    return keep, dropped


def _loader(
    dataset: FeatureDataset,
    indices: list[int],
    batch_size: int,
    shuffle: bool,
    seed: int,
    workers: int,
) -> tuple[DataLoader, LengthBucketSampler]:
    frames = [int(dataset.entries[index]["frames"]) for index in indices]
    return length_bucketed_loader(dataset, indices, frames, batch_size, shuffle, seed, workers)


def _forward(aligner: Aligner, batch: Batch, device: torch.device) -> AlignerOutput:
    return aligner(
        batch.tokens.to(device),
        batch.token_lengths.to(device),
        batch.mels.to(device),
        batch.mel_lengths.to(device),
    )


@torch.no_grad()
def align_split(
    aligner: Aligner,
    dataset: FeatureDataset,
    indices: list[int],
    device: torch.device,
    batch_size: int,
    criterion: AlignerLoss | None = None,
    progress: tqdm | None = None,
) -> Iterator[tuple[dict[str, Any], np.ndarray, np.ndarray, float | None]]:
    """Yield (manifest entry, learned durations (N,), data durations (N,), forward-sum loss
    of its batch or None) for the given items, in length order."""
    was_training = aligner.training
    aligner.eval()
    entries = {str(dataset.entries[index]["id"]): dataset.entries[index] for index in indices}
    loader, _ = _loader(dataset, indices, batch_size, shuffle=False, seed=0, workers=0)
    try:
        for batch in loader:
            output = _forward(aligner, batch, device)
            loss = float(criterion(output, 0)[1]["forward_sum"]) if criterion else None
            learned = output.durations.cpu().numpy()
            for row, utterance_id in enumerate(batch.ids):
                length = int(batch.token_lengths[row])
                yield (
                    entries[utterance_id],
                    learned[row, :length],
                    batch.durations[row, :length].numpy(),
                    loss,
                )
            if progress is not None:
                progress.update(len(batch))
    finally:
        aligner.train(was_training)


def _validate(
    aligner: Aligner,
    dataset: FeatureDataset,
    indices: list[int],
    device: torch.device,
    config: Config,
    criterion: AlignerLoss,
) -> dict[str, float]:
    learned, reference, blanks, losses = [], [], [], []
    for entry, durations, data_durations, loss in align_split(
        aligner, dataset, indices, device, config.align.batch_size, criterion
    ):
        learned.append(durations)
        reference.append(data_durations)
        blanks.append(entry.get("blank_frames"))
        losses.append(loss if loss is not None else math.nan)
    terms = {"forward_sum": float(np.mean(losses))}
    if has_reference_durations(dataset.feat_dir):
        audio = config.audio
        errors = boundary_errors(learned, reference, audio.hop_length, audio.sample_rate)
        terms.update(
            boundary_error_mean_ms=errors.mean_ms, boundary_error_median_ms=errors.median_ms
        )
        given = [found for found in blanks if found is not None]
        if given and len(given) == len(blanks):
            within = boundary_errors(
                learned, reference, audio.hop_length, audio.sample_rate, blank_frames=given
            )
            terms["boundary_error_within_blanks_mean_ms"] = within.mean_ms
    return terms


def has_reference_durations(feat_dir: Path) -> bool:
    """False for a FEATDIR of placeholder durations (``preprocess --no-alignments``)."""
    return load_feature_dir(feat_dir)[2].get("durations") != PLACEHOLDER


def train_aligner(
    config: Config,
    feat_dir: str | Path,
    out_dir: str | Path,
    max_steps: int | None = None,
    resume: bool = False,
    export: bool = True,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """Train the aligner on FEATDIR's train split, then (``export``) write OUT (see the module
    docstring).

    Args:
        config: the run's config (``align`` and ``train`` sections; audio/text/features are
            taken from ``feat_dir/config.yaml``).
        feat_dir: a FEATDIR from ``fastspeak preprocess``.
        out_dir: output folder: new or empty (or an aligner run, with ``resume``), outside
            the FEATDIR.
        max_steps: stop at this step (default ``align.steps``; the lr schedule always spans
            ``align.steps``).
        resume: continue from ``out_dir/checkpoints/latest.pt`` with the ``align`` settings
            saved in it (``max_steps`` may still extend the run), except the ``refine_*``
            and ``duration_prior_*`` ones and ``transition_share``, which act at export and
            come from ``config``.
        export: write TextGrids, durations.jsonl and report.json afterwards.
        max_minutes: also stop (validating, saving and exporting as at the last step) at the
            first step past this much wall time; ``resume`` continues.
    Raises:
        AlignerRunError, CheckpointError: ``out_dir`` cannot take the run (see
            :func:`check_out_dir`).
        KeyboardInterrupt: after Ctrl-C (SIGINT), once the step under way is saved to
            ``checkpoints/latest.pt`` (no validation, no export; a second Ctrl-C quits at
            once); ``resume`` continues from there.
        ConfigError: with ``resume``, ``config`` gives ``align`` settings that the checkpoint's
            replace (see ``resume``) with other values.
    Returns:
        {"step", "losses" (forward-sum of every step of this call), "val", "checkpoint",
        "report" (report.json's content, or None), "model"}.
    """
    feat_dir, out_dir = Path(feat_dir), Path(out_dir)
    check_out_dir(feat_dir, out_dir, resume)
    opts = config.train
    checkpointer = Checkpointer(out_dir, opts.save_interval, 0)
    checkpoint = None
    if resume:
        checkpoint = load_checkpoint(checkpointer.latest)
        if checkpoint.get("kind") != ALIGNER_KIND:
            raise CheckpointError(f"{checkpointer.latest} is not an aligner checkpoint")
        config = copy.deepcopy(config)
        export_settings = {  # these act at export: the settings given now apply
            field.name: getattr(config.align, field.name)
            for field in dataclasses.fields(config.align)
            if field.name.startswith(("refine_", "duration_prior_"))
            or field.name == "transition_share"
        }
        check_checkpoint_settings(
            config,
            checkpoint,
            ["align"],
            f"--resume continues the aligner of {checkpointer.latest} with its align settings "
            "(all but refine_*, duration_prior_* and transition_share, which act at export)",
            "drop them to continue this run (--max-steps extends it), or start a new run "
            "(another --out) with them",
            ignore={"align.vocab_size", "align.n_mels", *(f"align.{k}" for k in export_settings)},
        )
        saved_align = config_from_dict(checkpoint["config"]).align
        config.align = dataclasses.replace(saved_align, **export_settings)
    config = prepare_aligner_config(config, feat_dir)
    align = config.align
    vocab, speakers, _ = load_feature_dir(feat_dir)
    device = resolve_device(opts.device)
    single = DistributedContext(0, 1, 0, device)  # the aligner trains in one process
    torch.manual_seed(opts.seed)
    aligner = Aligner(align)
    if checkpoint is not None:
        restore_model(checkpoint, aligner, vocab, speakers)
    aligner.to(device)
    criterion = AlignerLoss(align)
    optimizer = torch.optim.Adam(
        aligner.parameters(), lr=align.learning_rate, weight_decay=align.weight_decay
    )
    schedule = LearningRateSchedule(
        kind="cosine",
        peak=align.learning_rate,
        warmup_steps=align.warmup_steps,
        max_steps=align.steps,
        min_lr_ratio=align.min_lr_ratio,
    )
    step = epoch = batch_in_epoch = 0
    if checkpoint is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
        step, epoch = int(checkpoint["step"]), int(checkpoint["epoch"])
        batch_in_epoch = int(checkpoint["batch_in_epoch"])

    train_set = FeatureDataset(feat_dir, "train", vocab, speakers)
    train_indices, dropped = _alignable(train_set, align.transition_tokens)
    if not train_indices:
        raise DatasetError(
            f"{feat_dir}/train.jsonl has no utterance with at least one mel frame per token"
        )
    loader, sampler = _loader(
        train_set, train_indices, align.batch_size, True, opts.seed, opts.num_workers
    )
    val_set = val_indices = None
    if (feat_dir / "val.jsonl").is_file():
        val_set = FeatureDataset(feat_dir, "val", vocab, speakers)
        val_indices = _alignable(val_set, align.transition_tokens)[0]
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    logger = TrainLogger(out_dir)
    total_steps = max_steps if max_steps is not None else align.steps
    parameters = sum(p.numel() for p in aligner.parameters())
    logger.message(
        f"aligner: {parameters / 1e6:.2f}M parameters on {device}, {len(train_indices)} "
        f"utterances ({len(dropped)} with too few frames left out), step {step} -> "
        f"{total_steps}"
    )
    progress = tqdm(total=total_steps, initial=step, disable=not opts.progress, unit="step")
    losses: list[float] = []
    window: dict[str, float] = {}
    window_steps, window_start, frames_seen = 0, time.perf_counter(), 0
    val_terms: dict[str, float] | None = None
    saved = None
    started = time.perf_counter()
    deadline = None if max_minutes is None else time.monotonic() + 60.0 * max_minutes
    aligner.train()
    last = step >= total_steps
    stop, stopped = StopRequest(), None  # stopped: why the loop ends early
    with stop:
        while not last:
            sampler.set_epoch(epoch, batch_in_epoch)
            for batch in loader:
                batch_in_epoch += 1
                step += 1
                lr = schedule(step)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                output = _forward(aligner, batch, device)
                total, terms = criterion(output, step)
                optimizer.zero_grad(set_to_none=True)
                total.backward()
                clip = align.grad_clip if align.grad_clip > 0 else math.inf
                grad_norm = torch.nn.utils.clip_grad_norm_(aligner.parameters(), clip)
                if torch.isfinite(total) and torch.isfinite(grad_norm):
                    optimizer.step()
                else:
                    logger.message(
                        f"step {step}: non-finite aligner loss or gradient, update skipped"
                    )
                stopped = stop_reason(deadline, stop, single) or stopped
                last = step >= total_steps or stopped is not None
                losses.append(float(terms["forward_sum"]))
                frames_seen += int(batch.mel_lengths.sum())
                window_steps += 1
                for name, value in {"total": total.detach(), **terms}.items():
                    window[name] = window.get(name, 0.0) + float(value)
                progress.update(1)
                if step % opts.log_interval == 0 or last:
                    elapsed = max(time.perf_counter() - window_start, 1e-9)
                    values = {name: value / window_steps for name, value in window.items()}
                    values.update(
                        learning_rate=lr,
                        grad_norm=float(grad_norm),
                        frames_per_second=frames_seen / elapsed,
                    )
                    logger.scalars("train", values, step)
                    progress.set_postfix(loss=f"{values['forward_sum']:.3f}", lr=f"{lr:.1e}")
                    window, window_steps, frames_seen = {}, 0, 0
                    window_start = time.perf_counter()
                if (
                    val_set is not None
                    and val_indices
                    and stopped != "interrupt"  # Ctrl-C: save and go, no validation
                    and (step % opts.val_interval == 0 or last)
                ):
                    val_terms = _validate(aligner, val_set, val_indices, device, config, criterion)
                    logger.scalars("val", val_terms, step)
                if checkpointer.due(step, force=last):
                    state = {
                        "kind": ALIGNER_KIND,
                        "model": aligner.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "step": step,
                        "epoch": epoch,
                        "batch_in_epoch": batch_in_epoch,
                        "config": config.to_dict(),
                        "vocab": vocab.to_dict(),
                        "speakers": speakers,
                        "data": {"feat_dir": str(Path(feat_dir).resolve())},
                    }
                    saved = checkpointer.save(step, state)
                if last:
                    break
            else:
                epoch, batch_in_epoch = epoch + 1, 0
    progress.close()
    if stopped == "interrupt" or stop.interrupted:
        close_interrupted(logger, step, saved)
    logger.close()
    training_seconds = time.perf_counter() - started
    report = None
    if export:
        report = export_alignments(aligner, config, feat_dir, out_dir, device, opts.progress)
        report.update(
            steps=step,
            checkpoint=str(checkpointer.latest),
            training_seconds=round(training_seconds, 1),
        )
        write_json(out_dir / "report.json", report)  # NaN (no boundaries) -> null
    return {
        "step": step,
        "losses": losses,
        "val": val_terms,
        "checkpoint": saved,
        "report": report,
        "model": aligner,
    }


def _segments(tokens: list[str], durations: np.ndarray, entry: dict, frame: float) -> list[Segment]:
    """One interval per token at frame boundaries, on the source audio's timeline: shifted by
    the silence preprocessing trimmed off the start (``trim_start``), with empty intervals for
    the trimmed edges, the last one ending at the source's end (``source_seconds``); a FEATDIR
    made before those were recorded gives the stored audio's own timeline."""
    offset = float(entry.get("trim_start", 0.0))
    ends = offset + np.cumsum(durations) * frame
    starts = np.concatenate([[offset], ends[:-1]])
    segments = [
        Segment(token, float(start), float(end))
        for token, start, end in zip(tokens, starts, ends, strict=True)
    ]
    last = segments[-1]
    speech_end = max(last.start, offset + float(entry["seconds"]))
    total = float(entry.get("source_seconds", 0.0))
    if total - speech_end < frame / 2:  # untrimmed (up to rounding): the last token ends it
        speech_end = max(speech_end, total)
    segments[-1] = Segment(last.label, last.start, speech_end)
    if offset > 0:
        segments.insert(0, Segment("", 0.0, offset))
    if total > speech_end:
        segments.append(Segment("", speech_end, total))
    return segments


def export_alignments(
    aligner: Aligner,
    config: Config,
    feat_dir: str | Path,
    out_dir: str | Path,
    device: torch.device,
    progress: bool = True,
) -> dict[str, Any]:
    """Align every utterance of FEATDIR's splits (then re-segment under a duration prior, with
    ``align.duration_prior_rounds``, and refine, with ``align.refine_iterations``) and write
    TextGrids and durations.jsonl.

    Returns the report: utterances per split, ids left out (fewer frames than tokens, or than states with transitions), and the
    phone-boundary error against the FEATDIR's durations per split (see
    :func:`fastspeak.aligners.metrics.boundary_errors`), also within the teacher's blanks
    where the FEATDIR gives them (``boundary_error_within_blanks``); with a duration prior or
    refinement also the aligner's own errors before them (``boundary_error_aligner``,
    ``boundary_error_aligner_within_blanks``) and the refinement's seconds.
    """
    feat_dir, out_dir = Path(feat_dir), Path(out_dir)
    vocab, speakers, _ = load_feature_dir(feat_dir)
    audio = config.audio
    frame = audio.hop_length / audio.sample_rate
    started = time.perf_counter()
    has_reference = has_reference_durations(feat_dir)
    report: dict[str, Any] = {
        "data": str(feat_dir),
        "reference": "the FEATDIR's durations (teacher timings or TextGrids)"
        if has_reference
        else None,
        "frame_ms": round(1000 * frame, 4),
        "trimmed_audio": False,  # set below: whether any utterance's audio was trimmed
        "utterances": {},
        "left_out": [],
        "boundary_error": {},
    }
    splits = [split for split in SPLITS if (feat_dir / f"{split}.jsonl").is_file()]
    datasets = {split: FeatureDataset(feat_dir, split, vocab, speakers) for split in splits}
    bar = tqdm(
        total=sum(len(dataset) for dataset in datasets.values()),
        desc="align",
        unit="utt",
        disable=not progress,
    )
    aligned: dict[str, list[tuple[dict[str, Any], np.ndarray, np.ndarray]]] = {}
    alignable: dict[str, tuple[FeatureDataset, list[int]]] = {}
    for split, dataset in datasets.items():
        indices, dropped = _alignable(dataset, config.align.transition_tokens)
        report["left_out"].extend(dropped)
        alignable[split] = (dataset, indices)
        aligned[split] = [
            (entry, learned, reference)
            for entry, learned, reference, _ in align_split(
                aligner, dataset, indices, device, config.align.batch_size, progress=bar
            )
        ]
        bar.update(len(dropped))
    bar.close()
    post_processed = config.align.duration_prior_rounds or config.align.refine_iterations
    if has_reference and post_processed and aligned.get("train"):
        report.update(_error_figures(aligned, audio, "_aligner"))
    if config.align.duration_prior_rounds and aligned.get("train"):
        prior_started = time.perf_counter()
        resegmented = resegment_with_duration_prior(
            aligner, alignable, config.align, device, progress=progress
        )
        aligned = _with_durations(aligned, resegmented.durations)
        report["duration_prior"] = {
            "path_cost": round(resegmented.path_cost, 4),
            "scale": round(resegmented.scale, 3),
            "seconds": round(time.perf_counter() - prior_started, 1),
        }
    if config.align.refine_iterations and aligned.get("train"):
        refine_started = time.perf_counter()
        refined = refine_durations(
            alignable,
            {
                str(entry["id"]): learned
                for items in aligned.values()
                for entry, learned, _ in items
            },
            config.align,
            device,
            seed=config.train.seed,
            aligner=aligner,
            progress=progress,
        )
        aligned = _with_durations(aligned, refined)
        report["refine_seconds"] = round(time.perf_counter() - refine_started, 1)
    records: list[dict[str, Any]] = []
    for split, items in aligned.items():
        for entry, learned, _ in items:
            segments = _segments(entry["tokens"], learned, entry, frame)
            write_textgrid(out_dir / "textgrids" / f"{entry['id']}.TextGrid", segments)
            records.append({"id": entry["id"], "durations": [int(d) for d in learned]})
        report["utterances"][split] = len(items)
        report["trimmed_audio"] |= any(entry.get("trim_start", 0.0) > 0 for entry, _, _ in items)
    if has_reference:  # placeholder durations have nothing to measure against
        report.update(_error_figures(aligned, audio))
    records.sort(key=lambda record: record["id"])
    atomic_write_text(
        out_dir / "durations.jsonl", "".join(json.dumps(record) + "\n" for record in records)
    )
    report["export_seconds"] = round(time.perf_counter() - started, 1)
    return report


def _with_durations(
    aligned: dict[str, list[tuple[dict[str, Any], np.ndarray, np.ndarray]]],
    durations: dict[str, np.ndarray],
) -> dict[str, list[tuple[dict[str, Any], np.ndarray, np.ndarray]]]:
    """``aligned`` with each item's learned durations replaced by ``durations[id]``."""
    return {
        split: [(entry, durations[str(entry["id"])], ref) for entry, _, ref in items]
        for split, items in aligned.items()
    }


def _error_figures(
    aligned: dict[str, list[tuple[dict[str, Any], np.ndarray, np.ndarray]]],
    audio: AudioConfig,
    suffix: str = "",
) -> dict[str, dict[str, dict[str, Any]]]:
    """``boundary_error{suffix}`` per split, and ``boundary_error{suffix}_within_blanks`` when
    the FEATDIR gives its teacher's blanks."""
    figures = {f"boundary_error{suffix}": _split_errors(aligned, audio)}
    if _has_blanks(aligned):
        figures[f"boundary_error{suffix}_within_blanks"] = _split_errors(aligned, audio, True)
    return figures


def _has_blanks(aligned: dict[str, list[tuple[dict[str, Any], np.ndarray, np.ndarray]]]) -> bool:
    """Every aligned utterance's FEATDIR entry gives its teacher's blank frames."""
    items = [entry for split in aligned.values() for entry, _, _ in split]
    return bool(items) and all("blank_frames" in entry for entry in items)


def _split_errors(
    aligned: dict[str, list[tuple[dict[str, Any], np.ndarray, np.ndarray]]],
    audio: AudioConfig,
    blanks: bool = False,
) -> dict[str, dict[str, Any]]:
    """Per split: boundary errors of the aligned durations against the references (with
    ``blanks``, to the nearest cut inside each teacher blank: the entries' ``blank_frames``)."""
    errors = {}
    for split, items in aligned.items():
        found = boundary_errors(
            [learned for _, learned, _ in items],
            [reference for _, _, reference in items],
            audio.hop_length,
            audio.sample_rate,
            [entry["blank_frames"] for entry, _, _ in items] if blanks else None,
        )
        errors[split] = {
            key: round(value, 3) if isinstance(value, float) else value
            for key, value in found.to_dict().items()
        }
    return errors
