"""Training loop of the acoustic models (FastSpeech 2 or FastSpeech, by ``model.name``; the
recipe is ming024/FastSpeech2's), kept explicit.

    train(config, feat_dir, run_dir, resume=False, init_from=None, max_steps=None)

One optimizer step = ``train.grad_accumulation`` batches. Per step: bf16 autocast on CUDA
(``train.amp``), loss in fp32, gradient clipping, a NaN guard (a step whose loss or gradient
norm is not finite is skipped: no optimizer/EMA update), lr from a pure function of the step.
Dropout is seeded from (seed, step, micro-batch, rank) and the data order from (seed, epoch),
so ``--resume`` continues exactly where ``latest.pt`` left off. Under torchrun each rank takes
its share of the batches (DDP); only rank 0 validates, logs and writes checkpoints. Ctrl-C
(SIGINT) ends the step under way as the last: ``latest.pt`` is saved at it (no validation),
then KeyboardInterrupt is raised; a second Ctrl-C quits at once, without saving.

run_dir: ``checkpoints/latest.pt`` + ``step_*.pt`` milestones, ``tensorboard/``,
``train_log.jsonl``, ``config.yaml`` (the full config used).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import time
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import yaml
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader

from fastspeak.aligners.joint import JointAlignment, aligned_loader, check_joint_config
from fastspeak.config import Config, ConfigError, config_from_dict
from fastspeak.data.batch import Batch, collate
from fastspeak.data.dataset import PLACEHOLDER, FeatureDataset, load_feature_dir
from fastspeak.data.sampler import LengthBucketSampler
from fastspeak.files import atomic_write_text
from fastspeak.models.registry import ModelOutput, model_spec
from fastspeak.models.variance import VarianceFeature
from fastspeak.text.vocab import Vocabulary
from fastspeak.train.checkpoint import (
    Checkpointer,
    CheckpointError,
    check_checkpoint_settings,
    load_checkpoint,
    load_matching_weights,
    model_weights,
    restore_model,
    resume_position,
    rows_by_name,
)
from fastspeak.train.distributed import StopRequest, init_distributed, stop_reason
from fastspeak.train.log import (
    StepTally,
    TrainLogger,
    close_interrupted,
    plot_mels,
    progress_bar,
)
from fastspeak.train.schedule import LearningRateSchedule
from fastspeak.vocoders import make_vocoder

__all__ = ["train"]

# model keys the data sets (vocabulary size, speaker count, pitch/energy statistics), not the
# architecture: a checkpoint's may differ from the config's
DATA_MODEL_KEYS = frozenset(
    ["model.vocab_size", "model.n_speakers"]
    + [
        f"model.variance.{feature}_{key}"
        for feature in ("pitch", "energy")
        for key in ("mean", "std", "min", "max")
    ]
)


def _prepare_config(config: Config, feat_dir: Path, model_source: dict | None) -> Config:
    """The run's config: data sections from FEATDIR/config.yaml, architecture from the
    checkpoint when resuming or fine-tuning, vocab size / speaker count from the data."""
    config = copy.deepcopy(config)
    data_file = feat_dir / "config.yaml"
    if data_file.is_file():
        data_config = config_from_dict(yaml.safe_load(data_file.read_text()))
        config.audio, config.text = data_config.audio, data_config.text
        config.features = data_config.features
    if model_source is not None:
        config.model = config_from_dict(model_source["config"]).model
    vocab, speakers, _ = load_feature_dir(feat_dir)
    config.model.vocab_size = len(vocab)
    config.model.n_speakers = len(speakers) if len(speakers) > 1 else 0
    variance = model_spec(config.model.name).variance_statistics  # FastSpeech has no pitch
    for name in ("pitch_level", "energy_level") if variance else ():
        model_level, data_level = getattr(config.model, name), getattr(config.features, name)
        if model_level != data_level:
            raise ConfigError(
                f"model.{name}={model_level} but {feat_dir} holds {data_level}-level features; "
                f"set model.{name}={data_level} or re-run preprocess with features.{name}="
                f"{model_level}"
            )
    if config.model.n_mels != config.audio.n_mels:
        raise ConfigError(
            f"model.n_mels={config.model.n_mels} but the data has audio.n_mels="
            f"{config.audio.n_mels}; set model.n_mels={config.audio.n_mels}"
        )
    return config


def _check_model_settings(
    config: Config,
    checkpoint: dict | None,
    source: dict | None,
    latest: Path,
    init_from: str | Path | None,
) -> None:
    """ConfigError when --config/--set give model settings other than those of the checkpoint
    a run resumes (``checkpoint``, at ``latest``) or fine-tunes (``source``, ``init_from``):
    the architecture comes from the checkpoint, so they would be dropped without a word."""
    if checkpoint is not None:
        check_checkpoint_settings(
            config,
            checkpoint,
            ["model"],
            f"--resume continues the model of {latest} (its architecture and settings)",
            "drop them to continue this run, or start a new run (another --out) to train "
            "that model",
            ignore=DATA_MODEL_KEYS,
        )
    elif source is not None:
        check_checkpoint_settings(
            config,
            source,
            ["model"],
            f"--init-from {init_from} starts from that checkpoint's model (its architecture "
            "and settings; only the vocabulary and speakers may differ)",
            "drop them to fine-tune that checkpoint, or leave out --init-from to train that "
            "model from scratch",
            ignore=DATA_MODEL_KEYS,
        )


def _float(output: ModelOutput) -> ModelOutput:
    """Autocast outputs -> fp32 so the loss is computed in full precision."""
    changes = {
        item.name: value.float()
        for item in dataclasses.fields(output)
        if isinstance(value := getattr(output, item.name), Tensor) and value.is_floating_point()
    }
    return dataclasses.replace(output, **changes)  # type: ignore[arg-type]


def _forward(
    model: torch.nn.Module, batch: Batch, autocast: Any, inputs: tuple[str, ...]
) -> ModelOutput:
    """Teacher-forced pass; ``inputs``: the Batch fields the model takes (``ModelSpec.inputs``)."""
    with autocast:
        output = model(**{name: getattr(batch, name) for name in inputs})
    return _float(output)


@torch.no_grad()
def validate(
    model: torch.nn.Module,
    criterion: torch.nn.Module,
    loader: Iterable[Batch],
    device: torch.device,
    autocast: Any,
    inputs: tuple[str, ...],
) -> tuple[dict[str, float], tuple[Tensor, Tensor] | None]:
    """Mean loss terms over the loader (weighted by batch size) and (target, predicted) mels
    (T, n_mels) of the first utterance, for a plot.

    Besides the model's own loss terms, ``mel_l1`` is the L1 distance of the postnet mels to
    the targets over valid frames: the same measure whatever mel loss the model trains with,
    so FastSpeech and FastSpeech 2 runs compare on it."""
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    count, example = 0, None
    for batch in loader:
        batch = batch.to(device)
        output = _forward(model, batch, autocast, inputs)
        total, terms = criterion(batch, output)
        frames = output.mels_postnet.size(1)
        distance = (output.mels_postnet.float() - batch.mels[:, :frames]).abs().mean(dim=-1)
        mel_l1 = distance[output.mel_mask].mean()
        for name, value in {"total": total, **terms, "mel_l1": mel_l1}.items():
            sums[name] = sums.get(name, 0.0) + float(value) * len(batch)
        count += len(batch)
        if example is None:
            length = int(batch.mel_lengths[0])
            example = (batch.mels[0, :length].cpu(), output.mels_postnet[0, :length].cpu())
    model.train(was_training)
    return {name: value / max(count, 1) for name, value in sums.items()}, example


def train(
    config: Config,
    feat_dir: str | Path,
    run_dir: str | Path,
    resume: bool = False,
    init_from: str | Path | None = None,
    max_steps: int | None = None,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """Train the model named by ``config.model.name`` on a FEATDIR from ``fastspeak preprocess``.

    Args:
        config: the run's config (its ``train`` and ``model`` sections matter; audio/text/
            features are taken from ``feat_dir/config.yaml``).
        feat_dir: FEATDIR (train.jsonl, val.jsonl, vocab.json, speakers.json, stats.json).
        run_dir: output folder (see the module docstring).
        resume: continue from ``run_dir/checkpoints/latest.pt`` (same data required).
        init_from: fine-tune: start from this checkpoint's weights where names and shapes
            match (its architecture: only the vocabulary and speakers may differ).
        max_steps: stop at this global step (default ``train.max_steps``; the lr schedule
            always uses ``train.max_steps``, so stopping early and resuming changes nothing).
        max_minutes: also stop (validating and saving as at the last step) at the first step
            that ends after this many minutes of wall time; resume continues from there.
    Raises:
        KeyboardInterrupt: after Ctrl-C, once the step under way is saved (see the module
            docstring); resume continues from there.
        ConfigError: ``config`` gives model settings other than the checkpoint's that
            ``resume`` or ``init_from`` takes the model from (the vocabulary size, speaker
            count and pitch/energy statistics come from the data and may differ).
    Returns:
        {"step", "epoch", "skipped_steps", "losses" (total loss of every step of this call),
        "val" (last validation terms or None), "frames_per_second", "checkpoint", "model"}.
    """
    feat_dir, run_dir = Path(feat_dir), Path(run_dir)
    context = init_distributed(config.train.device)
    try:
        return _train(config, feat_dir, run_dir, resume, init_from, max_steps, max_minutes, context)
    finally:
        context.close()


def _train(
    config, feat_dir, run_dir, resume, init_from, max_steps, max_minutes, context
) -> dict[str, Any]:
    device, rank, world = context.device, context.rank, context.world_size
    checkpointer = Checkpointer(
        run_dir, config.train.save_interval, config.train.milestone_interval
    )
    checkpoint = source = None
    if resume:
        checkpoint = load_checkpoint(checkpointer.latest)
    elif checkpointer.latest.exists():
        raise CheckpointError(
            f"{run_dir} already holds a training run ({checkpointer.latest}); pass --resume to "
            "continue it or choose another --out"
        )
    if init_from is not None and checkpoint is None:
        source = load_checkpoint(init_from)
    _check_model_settings(config, checkpoint, source, checkpointer.latest, init_from)
    config = _prepare_config(config, feat_dir, checkpoint or source)
    opts = config.train
    vocab, speakers, stats = load_feature_dir(feat_dir)
    spec = model_spec(config.model.name)
    if opts.durations == "learned":  # refused before RUNDIR is made
        check_joint_config(config, spec.variance_statistics, context.enabled)
    elif stats.get("durations") == PLACEHOLDER:
        raise ConfigError(
            f"{feat_dir} holds placeholder durations (preprocess --no-alignments): train with "
            "--set train.durations=learned, or run fastspeak align and preprocess --durations"
        )
    logger = TrainLogger(run_dir, enabled=context.is_main)
    sample_vocoder = make_vocoder("griffinlim", config.audio)  # audio samples in TensorBoard

    torch.manual_seed(opts.seed)
    model = spec.build(config.model, stats)
    config.model = copy.deepcopy(model.config)
    if checkpoint is not None:
        restore_model(checkpoint, model, vocab, speakers)
    elif source is not None:
        # this data's pitch/energy statistics stay: the source's would normalise this corpus
        # with another's mean and bucket range, while the checkpoint records this one's
        statistics = {
            f"{prefix}.{name}": "this data's statistics kept"
            for prefix, module in model.named_modules()
            if isinstance(module, VarianceFeature)
            for name, _ in module.named_buffers(recurse=False)
        }
        # the EMA weights when the source has them: the ones synthesis and evaluation used
        weights = model_weights(source, use_ema=True)
        # token and speaker embeddings row by row by name: another vocabulary or speaker set
        # keeps every symbol's and speaker's own row
        tables = {}
        if "vocab" in source:
            source_symbols = Vocabulary.from_dict(source["vocab"]).symbols
            tables["token_embedding.weight"] = (
                {symbol: row for row, symbol in enumerate(source_symbols)},
                {symbol: row for row, symbol in enumerate(vocab.symbols)},
            )
        if "speakers" in source:
            tables["speaker_embedding.weight"] = (dict(source["speakers"]), dict(speakers))
        mapped = rows_by_name(weights, model, tables)
        report = load_matching_weights(model, weights, keep=statistics)
        which = "EMA" if source.get("ema") is not None else "model"
        rows = "".join(f"\n  {name}: {what}" for name, what in mapped.items())
        logger.message(f"init from {init_from} ({which} weights): {report.summary()}{rows}")
    model.to(device)
    joint = None  # train.durations=learned: an aligner trained beside the model
    if opts.durations == "learned":
        joint = JointAlignment(config).to(device)
        if checkpoint is not None and checkpoint.get("aligner") is not None:
            joint.load_weights(checkpoint["aligner"])
    trained = [*model.parameters(), *(joint.parameters() if joint is not None else ())]
    schedule = LearningRateSchedule.from_config(opts, config.model.hidden)
    optimizer = torch.optim.Adam(
        trained,
        lr=schedule(1),
        betas=tuple(opts.betas),
        eps=opts.eps,
        weight_decay=opts.weight_decay,
        fused=device.type == "cuda",
    )
    amp = opts.amp is True or (opts.amp == "auto" and device.type == "cuda")
    amp_dtype = getattr(torch, opts.amp_dtype)
    if amp and device.type == "cpu" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        logger.message(  # e.g. AMD Zen 3: bf16 autocast is ~60x slower than fp32 there
            "warning: train.amp on a CPU without native bf16 (avx512_bf16/AMX): autocast runs "
            "emulated kernels, many times slower than fp32; set train.amp=false"
        )
    scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype == torch.float16)
    ema = None
    if opts.ema:
        ema = AveragedModel(
            model, multi_avg_fn=get_ema_multi_avg_fn(opts.ema_decay), use_buffers=True
        )
    step = epoch = batch_in_epoch = skipped = 0
    batch_order = {  # what makes an epoch's batch list (saved, checked on resume)
        "processes": world,
        "batch_size": opts.batch_size,
        "max_frames_per_batch": opts.max_frames_per_batch,
        "bucket_batches": opts.bucket_batches,
        "seed": opts.seed,
    }
    if checkpoint is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
        if checkpoint.get("scaler") is not None:
            scaler.load_state_dict(checkpoint["scaler"])
        if ema is not None and checkpoint.get("ema") is not None:
            ema.load_state_dict(checkpoint["ema"])
        step, skipped = checkpoint["step"], checkpoint.get("skipped_steps", 0)
        epoch, batch_in_epoch, note = resume_position(checkpoint, batch_order)
        if note:
            logger.message(note)
    network = (
        DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        if context.enabled
        else model
    )
    criterion = spec.loss(config.model)

    train_set = FeatureDataset(feat_dir, "train", vocab, speakers)
    sampler = LengthBucketSampler(
        train_set.frames,
        opts.batch_size,
        opts.max_frames_per_batch,
        opts.bucket_batches,
        shuffle=True,
        seed=opts.seed,
        num_replicas=world,
        rank=rank,
    )
    loader_options = {
        "collate_fn": functools.partial(collate, pad_multiple=opts.pad_multiple),
        "num_workers": opts.num_workers,
        "pin_memory": device.type == "cuda",
        "persistent_workers": opts.num_workers > 0,
    }
    loader = DataLoader(train_set, batch_sampler=sampler, **loader_options)
    val_loader = None
    if context.is_main and (feat_dir / "val.jsonl").is_file():
        val_set = FeatureDataset(feat_dir, "val", vocab, speakers)
        if len(val_set):
            val_sampler = LengthBucketSampler(val_set.frames, opts.batch_size, shuffle=False)
            val_loader = DataLoader(val_set, batch_sampler=val_sampler, **loader_options)
    if context.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(
            run_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False)
        )

    total_steps = max_steps if max_steps is not None else opts.max_steps
    deadline = None if max_minutes is None else time.monotonic() + 60.0 * max_minutes
    parameters = sum(p.numel() for p in model.parameters())
    logger.message(
        f"training {parameters / 1e6:.2f}M parameters on {device} x{world}, amp "
        f"{opts.amp_dtype if amp else 'off'}, {len(train_set)} utterances, step {step} -> {total_steps}"
    )
    autocast = torch.autocast(device.type, dtype=amp_dtype, enabled=amp)
    accumulation = opts.grad_accumulation
    progress = progress_bar(total_steps, step, context.is_main and opts.progress)
    losses: list[float] = []
    tally = StepTally(skipped, "lower train.learning_rate, check the data, or set train.amp=false")
    micro, val_terms, saved = 0, None, None
    norm_types = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.SyncBatchNorm)
    norm_buffers = [b for m in model.modules() if isinstance(m, norm_types) for b in m.buffers()]
    model.train()
    stop, stopped = StopRequest(), None  # stopped: why the loop ends early
    with stop:
        while step < total_steps:
            sampler.set_epoch(epoch, batch_in_epoch)
            if batch_in_epoch == 0 and len(sampler) == 0:
                raise ValueError(f"{feat_dir}/train.jsonl gives no batches for {world} process(es)")
            for batch in loader:
                batch_in_epoch += 1
                frames = int(batch.mel_lengths.sum())
                tally.count(frames)
                batch = batch.to(device)
                if joint is not None:  # MAS durations replace the data's; the aligner loss joins
                    batch, align_loss, align_terms = joint(batch, step + 1)
                torch.manual_seed(hash((opts.seed, step, micro, rank)) & (2**62 - 1))
                if micro == 0:  # BatchNorm statistics change in forward: keep them to undo a skip
                    saved_norms = [buffer.clone() for buffer in norm_buffers]
                last_micro = micro + 1 == accumulation
                with nullcontext() if last_micro or not context.enabled else network.no_sync():  # type: ignore[operator]
                    output = _forward(network, batch, autocast, spec.inputs)
                    total, terms = criterion(batch, output)
                    if joint is not None:
                        total, terms = total + align_loss, {**terms, **align_terms}
                    scaler.scale(total / accumulation).backward()
                if micro == 0:
                    step_losses: list[Tensor] = []
                    step_terms: dict[str, Tensor | float] = {}
                step_losses.append(total.detach())
                for name, value in terms.items():
                    step_terms[name] = step_terms.get(name, 0.0) + value / accumulation
                micro += 1
                if not last_micro:
                    continue
                micro = 0
                step += 1
                stopped = stop_reason(deadline, stop, context) or stopped
                if stopped is not None:  # this step is the last: save (and validate) as usual
                    total_steps = step
                lr = schedule(step)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                scaler.unscale_(optimizer)
                clip = opts.grad_clip if opts.grad_clip > 0 else math.inf
                grad_norm = torch.nn.utils.clip_grad_norm_(trained, clip)
                loss = torch.stack(step_losses).mean()
                finite = (torch.isfinite(loss) & torch.isfinite(grad_norm)).float()
                if context.enabled:
                    dist.all_reduce(finite, op=dist.ReduceOp.MIN)
                if bool(finite.item()):
                    scaler.step(optimizer)
                    if ema is not None:
                        ema.update_parameters(model)
                    tally.applied({"total": loss, **step_terms})
                else:
                    for buffer, value in zip(norm_buffers, saved_norms, strict=True):
                        buffer.copy_(value)
                    tally.skip(step, logger)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
                losses.append(float(loss))
                progress.update(1)

                if step % opts.log_interval == 0 or step == total_steps:
                    values, frames_per_second = tally.interval(world)
                    values.update(
                        learning_rate=lr,
                        grad_norm=float(grad_norm),
                        skipped_steps=tally.skipped,
                        frames_per_second=frames_per_second,
                    )
                    logger.scalars("train", values, step)
                    progress.set_postfix(
                        loss=f"{values.get('total', math.nan):.3f}", lr=f"{lr:.2e}"
                    )
                plot_due = step % opts.plot_interval == 0
                if (
                    val_loader is not None
                    and stopped != "interrupt"  # Ctrl-C: save and go, no validation
                    and (step % opts.val_interval == 0 or plot_due or step == total_steps)
                ):
                    evaluated = ema.module if ema is not None else model
                    val_terms, example = validate(
                        evaluated,
                        criterion,
                        aligned_loader(val_loader, joint, device),
                        device,
                        autocast,
                        spec.inputs,
                    )
                    logger.scalars("val", val_terms, step)
                    if plot_due and example is not None:
                        figure = plot_mels(example[0].numpy(), example[1].numpy(), f"step {step}")
                        logger.figure("val/mel", figure, step)
                        predicted = example[1].float().T.unsqueeze(0)  # (1, n_mels, T)
                        wavs, _ = sample_vocoder(predicted, None)
                        logger.audio(
                            "val/audio", wavs[0].clamp(-1, 1), sample_vocoder.sample_rate, step
                        )
                if context.is_main and checkpointer.due(step, force=step == total_steps):
                    state = {
                        "kind": spec.kind,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scaler": scaler.state_dict() if scaler.is_enabled() else None,
                        "ema": ema.state_dict() if ema is not None else None,
                        "step": step,
                        "epoch": epoch,
                        "batch_in_epoch": batch_in_epoch,
                        "batch_order": batch_order,
                        "skipped_steps": tally.skipped,
                        "config": config.to_dict(),
                        "vocab": vocab.to_dict(),
                        "speakers": speakers,
                        "stats": stats,
                        "aligner": joint.weights() if joint is not None else None,
                        "data": {"feat_dir": str(feat_dir.resolve())},
                    }
                    saved = checkpointer.save(step, state)
                if step >= total_steps:
                    break
            else:
                epoch, batch_in_epoch = epoch + 1, 0
    if context.enabled:  # DDP syncs buffers (BatchNorm statistics) from rank 0 before each
        for buffer in model.buffers():  # forward; do it once more so the replicas end equal
            dist.broadcast(buffer, src=0)
    progress.close()
    if stopped == "interrupt" or stop.interrupted:
        close_interrupted(logger, step, saved)
    logger.close()
    return {
        "step": step,
        "epoch": epoch,
        "skipped_steps": tally.skipped,
        "losses": losses,
        "val": val_terms,
        "frames_per_second": tally.rate(world),
        "checkpoint": saved,
        "model": model,
    }
