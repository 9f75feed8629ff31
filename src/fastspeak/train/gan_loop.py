"""Training loop of the HiFi-GAN vocoder (Kong et al. 2020; jik876/hifi-gan's recipe), explicit.

    train_vocoder(config, feat_dir, run_dir, resume=False, init_from=None, gta_dir=None,
                  max_steps=None, max_minutes=None)

One step, on a batch of random segments (``vocoder.train.segment_size`` samples and their
mel frames; see :mod:`fastspeak.data.vocoder`):

1. the generator makes ``generated`` from the mels;
2. discriminator update: LSGAN loss on ``[wavs, generated.detach()]`` (one pass over both);
3. generator update: adversarial + 2 x feature matching + 45 x mel L1 (+ the multi-resolution
   STFT loss with ``vocoder.train.stft_loss_weight``), the discriminators
   frozen (no weight gradients computed for them); the real waveforms' features are scored
   without a graph, so the backward runs through the generated half alone.

With ``vocoder.train.mel_only_steps`` a run's first steps update the generator alone on
``45 x mel L1`` (+ the STFT loss if on), with no discriminator pass (a V2 step measured 35x
cheaper on this 2-core CPU without the 70.7M discriminator parameters; ~4x estimated on an
H200 from the step's parts),
then ``discriminator_warmup_steps`` update the discriminators alone, then both as above.

AdamW (0.8, 0.99, weight decay 0.01), lr ``2e-4 x 0.999 ** epoch`` (a pure function of the
epoch, so a resumed run has the exact lr without scheduler state). bf16 autocast on CUDA
(``vocoder.train.amp``; fp16 uses one GradScaler for both optimizers); losses in fp32. A
guard skips an update whose loss or gradient norm is not finite. The data order and segment
positions follow (seed, epoch), so ``--resume`` continues exactly where ``latest.pt`` left
off. Under torchrun each rank takes its share of the batches (DDP, NCCL/gloo, through
:mod:`fastspeak.train.distributed`); only rank 0 validates, logs and writes checkpoints.
Ctrl-C (SIGINT) ends the step under way as the last: ``latest.pt`` is saved at it (no
validation), then KeyboardInterrupt is raised; a second Ctrl-C quits at once, without saving.

Fine-tuning (``--init-from CKPT``, usually with ``--gta GTADIR``): a new run starts from a
train-vocoder checkpoint's generator, discriminators and optimizer states; the step count
starts again at 0 and the lr carries on decaying from the source's epochs. ``--init-from`` an
exported generator (``NAME.json``, the few MB a GPU session can bring back, where a whole
checkpoint with its discriminators cannot) continues that generator (weight norm re-applied:
the same function) with fresh discriminators and optimizers; set
``vocoder.train.discriminator_warmup_steps`` so the fresh discriminators learn before the
generator listens to them (those first steps update the discriminators alone). A trained
generator whose optimizer is new or young gets its lr ramped up until that optimizer has made
``vocoder.train.generator_lr_ramp_steps`` updates (:func:`generator_lr_scale`). Loaded
optimizers take the config's betas and weight decay.

run_dir: ``checkpoints/latest.pt`` + ``step_*.pt`` milestones (kind ``hifigan``: generator
as ``model``, ``discriminator``, both optimizers, scaler, step, epoch, batch_in_epoch, config,
data), ``tensorboard/`` (loss terms, lr, gradient norms, validation mel L1, audio samples and
mel plots), ``train_log.jsonl``, ``config.yaml``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
import torch.distributed as dist
import yaml
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from fastspeak.config import Config, ConfigError, VocoderTrainConfig, config_from_dict
from fastspeak.data.sampler import LengthBucketSampler
from fastspeak.data.vocoder import (
    EpochBatchSampler,
    VocoderDataset,
    featdir_entries,
    gta_entries,
)
from fastspeak.files import atomic_write_text
from fastspeak.train.checkpoint import (
    Checkpointer,
    CheckpointError,
    check_checkpoint_settings,
    load_checkpoint,
    resume_position,
)
from fastspeak.train.distributed import (
    DistributedContext,
    StopRequest,
    init_distributed,
    stop_reason,
)
from fastspeak.train.log import (
    StepTally,
    TrainLogger,
    close_interrupted,
    plot_mels,
    progress_bar,
)
from fastspeak.vocoders.hifigan import (
    CHECKPOINT_KIND,
    GeneratorLoss,
    HiFiGANDiscriminator,
    HiFiGANGenerator,
    discriminator_loss,
    is_exported_generator,
    load_generator,
)

__all__ = [
    "GANTrainer",
    "generator_lr_scale",
    "compile_mode",
    "compiled",
    "make_optimizers",
    "trainer_networks",
    "train_vocoder",
    "use_fast_cuda_kernels",
]


@dataclass
class GANTrainer:
    """One HiFi-GAN optimisation step (both updates) over a batch; see the module docstring.

    ``generator_net``/``discriminator_net`` are the modules the forward passes go through
    (DDP wrappers, or the plain modules); the discriminator pass of the generator update uses
    ``discriminator_scorer`` (the plain ``discriminator``, or its compiled form: never DDP)
    with its parameters frozen, so DDP never reduces gradients it does not need.
    """

    generator: HiFiGANGenerator
    discriminator: HiFiGANDiscriminator
    generator_optimizer: torch.optim.Optimizer
    discriminator_optimizer: torch.optim.Optimizer
    criterion: GeneratorLoss
    scaler: torch.amp.GradScaler
    autocast: Any
    grad_clip: float = 0.0
    generator_net: torch.nn.Module | None = None
    discriminator_net: torch.nn.Module | None = None
    discriminator_scorer: torch.nn.Module | None = None
    context: DistributedContext | None = None

    def _finite(self, loss: Tensor, norm: Tensor) -> bool:
        finite = (torch.isfinite(loss) & torch.isfinite(norm)).float()
        if self.context is not None and self.context.enabled:
            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        return bool(finite.item())

    def _update(self, loss: Tensor, optimizer: torch.optim.Optimizer, module: Any) -> Tensor:
        """Backward, unscale, clip (or just measure) and step unless non-finite; grad norm."""
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(optimizer)
        clip = self.grad_clip if self.grad_clip > 0 else math.inf
        norm = torch.nn.utils.clip_grad_norm_(module.parameters(), clip)
        if self._finite(loss.detach(), norm):
            self.scaler.step(optimizer)
        else:
            norm = torch.full_like(norm, math.nan)
        optimizer.zero_grad(set_to_none=True)
        return norm

    def step(
        self,
        mels: Tensor,
        wavs: Tensor,
        update_generator: bool = True,
        adversarial: bool = True,
    ) -> dict[str, float]:
        """mels (B, n_mels, F), wavs (B, F * hop) -> the step's loss terms (floats).

        ``generator_grad_norm``/``discriminator_grad_norm`` are NaN when that update was
        skipped as non-finite, and absent when that network was not updated.
        ``update_generator=False`` (discriminator warm-up) updates the discriminators alone:
        the generator's loss terms are still measured. ``adversarial=False`` (the mel-only
        phase) updates the generator alone on the criterion's reconstruction loss (weighted
        mel L1, and the STFT loss if on); the discriminators are not run (their terms are
        absent).
        """
        if not adversarial:
            return self._mel_only_step(mels, wavs)
        generator_net = _either(self.generator_net, self.generator)
        discriminator_net = _either(self.discriminator_net, self.discriminator)
        batch = wavs.shape[0]
        with self.autocast:
            with torch.set_grad_enabled(update_generator):  # no graph (nor DDP hooks) in warm-up
                generated = generator_net(mels).float()  # (B, F * hop)
            both = discriminator_net(torch.cat([wavs, generated.detach()]))
        real, fake = both.split(batch)
        loss_d, terms_d = discriminator_loss(real, fake)
        norm_d = self._update(loss_d, self.discriminator_optimizer, self.discriminator)

        self.discriminator.requires_grad_(False)
        try:
            # The real half needs no graph: scored apart, the backward covers the fake half only.
            scorer = _either(self.discriminator_scorer, self.discriminator)
            with torch.no_grad(), self.autocast:
                real = scorer(wavs)
            with torch.set_grad_enabled(update_generator), self.autocast:
                fake = scorer(generated)
            with torch.set_grad_enabled(update_generator):
                loss_g, terms_g = self.criterion(wavs, generated, real, fake)
            norm_g: Tensor | None = None
            if update_generator:
                norm_g = self._update(loss_g, self.generator_optimizer, self.generator)
            else:
                self.generator_optimizer.zero_grad(set_to_none=True)
        finally:
            self.discriminator.requires_grad_(True)
        self.scaler.update()
        values = {
            "generator": loss_g.detach(),
            "discriminator": loss_d.detach(),
            **{f"discriminator_{name}": value for name, value in terms_d.items()},
            **terms_g,
            **({} if norm_g is None else {"generator_grad_norm": norm_g}),
            "discriminator_grad_norm": norm_d,
        }
        return {name: float(value) for name, value in values.items()}

    def _mel_only_step(self, mels: Tensor, wavs: Tensor) -> dict[str, float]:
        """The generator alone on the reconstruction loss (see :meth:`step`)."""
        with self.autocast:
            generated = _either(self.generator_net, self.generator)(mels).float()
        loss, terms = self.criterion.reconstruction(wavs, generated)
        norm = self._update(loss, self.generator_optimizer, self.generator)
        self.scaler.update()
        values = {"generator": loss.detach(), **terms, "generator_grad_norm": norm}
        return {name: float(value) for name, value in values.items()}


def generator_lr_scale(updates: int, opts: VocoderTrainConfig, ramp: bool) -> float:
    """The factor on the generator's lr for the update after ``updates`` updates of its
    optimizer: ``(updates + 1) / N`` while ``updates < N = opts.generator_lr_ramp_steps`` when
    the run ``ramp``s (its generator started trained), else 1. Counting the optimizer's own
    updates (its Adam state) ramps exactly when that state is young: an exported generator's
    new optimizer, a checkpoint stopped before its generator's first updates, a resume."""
    if not ramp or opts.generator_lr_ramp_steps == 0:
        return 1.0
    return min(1.0, (updates + 1) / opts.generator_lr_ramp_steps)


def optimizer_updates(optimizer: torch.optim.Optimizer) -> int:
    """How many updates ``optimizer`` has applied (its per-parameter ``step``; 0 if none)."""
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            step = optimizer.state.get(parameter, {}).get("step")
            if step is not None:
                return int(step)
    return 0


def _either(net: torch.nn.Module | None, module: torch.nn.Module) -> torch.nn.Module:
    """``net`` unless None (not ``net or module``: a compiled module has no truth value)."""
    return module if net is None else net


def make_optimizers(
    generator: torch.nn.Module, discriminator: torch.nn.Module, opts: VocoderTrainConfig
) -> list[torch.optim.Optimizer]:
    """AdamW for the generator and for the discriminators (``opts``' lr, betas, weight decay);
    the fused kernel when the parameters are on a GPU (one launch for the 70M discriminator
    parameters instead of a few per tensor)."""
    return [
        torch.optim.AdamW(
            module.parameters(),
            lr=opts.learning_rate,
            betas=(opts.betas[0], opts.betas[1]),
            weight_decay=opts.weight_decay,
            fused=next(module.parameters()).is_cuda or None,
        )
        for module in (generator, discriminator)
    ]


def apply_optimizer_settings(
    optimizers: list[torch.optim.Optimizer], opts: VocoderTrainConfig
) -> None:
    """Set ``opts``' betas and weight decay on optimizers whose state was loaded (a state dict
    brings back its source's settings; the lr is set every step)."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["betas"] = (opts.betas[0], opts.betas[1])
            group["weight_decay"] = opts.weight_decay


def compiled(
    module: torch.nn.Module, mode: str | None = None, backend: str = "inductor"
) -> torch.nn.Module:
    """``torch.compile(module, mode=mode)``: a module sharing ``module``'s parameters
    (``vocoder.train.compile``: true = mode None, the default; or the mode's name)."""
    return cast(torch.nn.Module, torch.compile(module, mode=mode, backend=backend))


def compile_mode(setting: bool | str) -> str | None:
    """The torch.compile mode of a ``vocoder.train.compile`` value that is not false."""
    return setting if isinstance(setting, str) else None


def trainer_networks(
    generator: torch.nn.Module,
    discriminator: torch.nn.Module,
    compile_setting: bool | str = False,
    wrap: Callable[[torch.nn.Module], torch.nn.Module] = lambda module: module,
) -> dict[str, torch.nn.Module]:
    """The modules a :class:`GANTrainer`'s passes go through: ``generator_net`` and
    ``discriminator_net`` (``wrap``: DDP) and ``discriminator_scorer`` (never wrapped), each
    through :func:`compiled` when ``compile_setting`` (``vocoder.train.compile``) is not false."""
    nets = {
        "generator_net": wrap(generator),
        "discriminator_net": wrap(discriminator),
        "discriminator_scorer": discriminator,
    }
    if compile_setting:
        mode = compile_mode(compile_setting)
        nets = {name: compiled(net, mode) for name, net in nets.items()}
    return nets


def use_fast_cuda_kernels() -> None:
    """cuDNN autotuning (every training batch has one shape) and TF32 for float32 convolutions
    and matmuls (the precision of ``vocoder.train.amp: false``)."""
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True


def _check_layout_settings(
    config: Config,
    checkpoint: dict[str, Any] | None,
    source: dict[str, Any] | None,
    latest: Path,
    init_from: str | Path | None,
) -> None:
    """ConfigError when --config/--set give ``vocoder.generator`` or ``vocoder.discriminator``
    settings other than those of the checkpoint a run resumes (``checkpoint``, at ``latest``)
    or fine-tunes (``source``, from ``init_from``): the layout comes from the checkpoint, so
    they would be dropped without a word."""
    sections = ["vocoder.generator", "vocoder.discriminator"]
    if checkpoint is not None:
        origin = f"--resume continues the generator and discriminators of {latest}"
        fix = "drop them to continue this run, or start a new run (another --out) for that layout"
        check_checkpoint_settings(config, checkpoint, sections, origin, fix)
    elif source is not None:
        origin = f"--init-from {init_from} starts from its generator (and discriminators)"
        fix = "drop them to fine-tune it, or leave out --init-from to train that layout anew"
        check_checkpoint_settings(config, source, sections, origin, fix)


def _prepare_config(
    config: Config, feat_dir: Path, gta_dir: Path | None, source: dict[str, Any] | None
) -> Config:
    """Audio settings from FEATDIR/config.yaml (and the GTADIR's, which must agree); the
    generator and discriminator layout from the checkpoint when resuming or fine-tuning."""
    config = copy.deepcopy(config)
    data_file = feat_dir / "config.yaml"
    if not data_file.is_file():
        raise ConfigError(f"{data_file} does not exist; --data must be a FEATDIR")
    config.audio = config_from_dict(yaml.safe_load(data_file.read_text())).audio
    if gta_dir is not None:
        gta_file = gta_dir / "config.yaml"
        if not (gta_dir / "report.json").is_file() or not gta_file.is_file():
            raise ConfigError(f"{gta_dir} is not a GTADIR made by `fastspeak gta`")
        gta_audio = config_from_dict(yaml.safe_load(gta_file.read_text())).audio
        if gta_audio != config.audio:
            raise ConfigError(
                f"{gta_dir} has audio settings {gta_audio} but {feat_dir} has {config.audio}; "
                "make the GTA mels from the same FEATDIR"
            )
    if source is not None:
        saved = config_from_dict(source["config"])
        config.vocoder.generator = saved.vocoder.generator
        config.vocoder.discriminator = saved.vocoder.discriminator
        if saved.audio != config.audio:
            raise ConfigError(
                f"the checkpoint was trained on audio settings {saved.audio} but {feat_dir} "
                f"has {config.audio}; a vocoder only fits the mels it was trained on"
            )
    config.vocoder.check_audio(config.audio)
    return config


@torch.no_grad()
def validate(
    generator: HiFiGANGenerator,
    criterion: GeneratorLoss,
    dataset: VocoderDataset,
    count: int,
    device: torch.device,
) -> tuple[dict[str, float], list[dict[str, Tensor]]]:
    """Mean mel L1 (the loss's mel) of the first ``count`` whole validation utterances, and
    for each an example on the CPU: ``real``/``generated`` waveforms (T_wav,),
    ``real_mel``/``generated_mel`` (T, n_mels) loss mels."""
    was_training = generator.training
    generator.eval()
    total, examples = 0.0, []
    for index in range(min(count, len(dataset))):
        item = dataset[index]
        mels, wavs = item["mels"].unsqueeze(0).to(device), item["wavs"].unsqueeze(0).to(device)
        generated = generator(mels).float()
        real_mel, generated_mel = criterion.mel(wavs), criterion.mel(generated)
        total += float((real_mel - generated_mel).abs().mean())
        examples.append(
            {
                "real": wavs[0].cpu(),
                "generated": generated[0].cpu(),
                "real_mel": real_mel[0].cpu(),
                "generated_mel": generated_mel[0].cpu(),
            }
        )
    generator.train(was_training)
    return {"mel_l1": total / max(len(examples), 1)}, examples


def train_vocoder(
    config: Config,
    feat_dir: str | Path,
    run_dir: str | Path,
    resume: bool = False,
    init_from: str | Path | None = None,
    gta_dir: str | Path | None = None,
    max_steps: int | None = None,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """Train HiFi-GAN (``config.vocoder``) on the recordings of a FEATDIR, or on GTA mels.

    Args:
        config: the run's config (``vocoder`` section; audio comes from ``feat_dir``).
        feat_dir: FEATDIR from ``fastspeak preprocess`` (its corpus must be reachable).
        run_dir: output folder (see the module docstring).
        resume: continue ``run_dir/checkpoints/latest.pt`` exactly (same data source).
        init_from: fine-tune: start a new run from this train-vocoder checkpoint.
        gta_dir: train on the GTA mels of ``fastspeak gta`` (with their audio spans) instead
            of mels computed from the recordings.
        max_steps: stop at this step (default ``vocoder.train.max_steps``).
        max_minutes: also stop (validating and saving) after this much wall time.
    Raises:
        KeyboardInterrupt: after Ctrl-C, once the step under way is saved; ``resume``
            continues from there.
        ConfigError: ``config`` gives ``vocoder.generator``/``vocoder.discriminator``
            settings other than those of the checkpoint ``resume`` or ``init_from`` takes
            them from.
    Returns:
        {"step", "epoch", "skipped_steps", "losses" (generator loss of every step of this
        call), "val" (last validation or None), "checkpoint", "generator", "discriminator",
        "audio_seconds_per_second"}.
    """
    feat_dir, run_dir = Path(feat_dir), Path(run_dir)
    gta_dir = None if gta_dir is None else Path(gta_dir)
    context = init_distributed(config.vocoder.train.device)
    try:
        return _train(
            config, feat_dir, run_dir, resume, init_from, gta_dir, max_steps, max_minutes, context
        )
    finally:
        context.close()


def _load_source(path: Path | str, what: str) -> dict[str, Any]:
    checkpoint = load_checkpoint(path)
    if checkpoint.get("kind") != CHECKPOINT_KIND:
        raise CheckpointError(
            f"{what} {path} holds a {checkpoint.get('kind', 'fastspeech2')} model, not a "
            "HiFi-GAN vocoder written by `fastspeak train-vocoder`"
        )
    return checkpoint


def _exported_source(path: Path | str, config: Config) -> dict[str, Any]:
    """An exported generator as an ``--init-from`` source: its weights with weight norm
    re-applied (``model``), its audio and generator layout in ``config``, no discriminators,
    no optimizer states, epoch 0."""
    generator, audio, info = load_generator(path)
    generator.apply_weight_norm()
    saved = copy.deepcopy(config)
    saved.audio, saved.vocoder.generator = audio, generator.config
    return {
        "kind": CHECKPOINT_KIND,
        "config": saved.to_dict(),
        "model": generator.state_dict(),
        "step": info["step"],
        "epoch": 0,
        "lr_epochs_before": 0,
    }


def _train(
    config: Config,
    feat_dir: Path,
    run_dir: Path,
    resume: bool,
    init_from: str | Path | None,
    gta_dir: Path | None,
    max_steps: int | None,
    max_minutes: float | None,
    context: DistributedContext,
) -> dict[str, Any]:
    device, world = context.device, context.world_size
    opts = config.vocoder.train
    checkpointer = Checkpointer(run_dir, opts.save_interval, opts.milestone_interval)
    data = {"feat_dir": str(feat_dir.resolve()), "gta_dir": gta_dir and str(gta_dir.resolve())}
    checkpoint = source = None
    if resume:
        if init_from is not None:
            raise CheckpointError("--resume continues RUNDIR; --init-from starts a new run")
        checkpoint = _load_source(checkpointer.latest, "--resume: checkpoint")
        if checkpoint.get("data", {}).get("gta_dir") != data["gta_dir"]:
            raise CheckpointError(
                f"{checkpointer.latest} trained on GTA mels from "
                f"{checkpoint.get('data', {}).get('gta_dir')} but this run gives --gta "
                f"{data['gta_dir']}; resume with the same data, or start a new run with "
                "--init-from to fine-tune on other data"
            )
    elif checkpointer.latest.exists():
        raise CheckpointError(
            f"{run_dir} already holds a training run ({checkpointer.latest}); pass --resume to "
            "continue it or choose another --out"
        )
    elif init_from is not None:
        source = (
            _exported_source(init_from, config)
            if is_exported_generator(init_from)
            else _load_source(init_from, "--init-from")
        )
    _check_layout_settings(config, checkpoint, source, checkpointer.latest, init_from)
    config = _prepare_config(config, feat_dir, gta_dir, checkpoint or source)
    opts = config.vocoder.train
    logger = TrainLogger(run_dir, enabled=context.is_main)

    if device.type == "cuda":
        use_fast_cuda_kernels()
    torch.manual_seed(opts.seed)
    generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels).to(device)
    discriminator = HiFiGANDiscriminator(config.vocoder.discriminator).to(device)
    optimizers = make_optimizers(generator, discriminator, opts)
    amp = opts.amp is True or (opts.amp == "auto" and device.type == "cuda")
    amp_dtype = getattr(torch, opts.amp_dtype)
    if amp and device.type == "cpu" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        logger.message(
            "warning: vocoder.train.amp on a CPU without native bf16 (avx512_bf16/AMX): "
            "autocast runs emulated kernels, many times slower than fp32; set it to false"
        )
    scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype == torch.float16)
    step = epoch = batch_in_epoch = skipped = lr_epochs_before = 0
    loaded = checkpoint or source
    ramp = loaded is not None  # the generator starts trained: see generator_lr_scale
    if loaded is not None:
        generator.load_state_dict(loaded["model"])
        if "discriminator" in loaded:
            discriminator.load_state_dict(loaded["discriminator"])
            optimizers[0].load_state_dict(loaded["optimizer"])
            optimizers[1].load_state_dict(loaded["discriminator_optimizer"])
            apply_optimizer_settings(optimizers, opts)
        else:
            logger.message(
                f"--init-from {init_from} is an exported generator: fresh discriminators and "
                f"optimizers; after {opts.mel_only_steps} mel-only steps, "
                f"{opts.discriminator_warmup_steps} steps train the discriminators alone "
                "(vocoder.train.discriminator_warmup_steps)"
            )
        if loaded.get("scaler") is not None and scaler.is_enabled():
            scaler.load_state_dict(loaded["scaler"])
    if opts.mel_only_steps:
        alone_on = "mel L1 and the STFT loss" if opts.stft_loss_weight else "mel L1"
        if opts.adversarial_stft_loss_weight is not None:
            alone_on += (
                f" (then STFT loss x{opts.adversarial_stft_loss_weight:g} with the discriminators)"
            )
        logger.message(
            f"steps 1-{opts.mel_only_steps} train the generator alone on {alone_on} "
            "(vocoder.train.mel_only_steps)"
        )
    batch_order = {"processes": world, "batch_size": opts.batch_size, "seed": opts.seed}
    if checkpoint is not None:
        step, skipped = checkpoint["step"], checkpoint["skipped_steps"]
        epoch, batch_in_epoch, note = resume_position(checkpoint, batch_order)
        if note:
            logger.message(note)
        lr_epochs_before = checkpoint["lr_epochs_before"]
        ramp = checkpoint.get("generator_lr_ramp", False)
    elif source is not None:
        lr_epochs_before = source["lr_epochs_before"] + source["epoch"]
        logger.message(f"fine-tuning from {init_from} (its step {source['step']})")
    updates = optimizer_updates(optimizers[0])
    if ramp and generator_lr_scale(updates, opts, ramp) < 1.0:
        logger.message(
            f"the trained generator's optimizer has made {updates} updates: its lr ramps up "
            f"until it has made {opts.generator_lr_ramp_steps} "
            "(vocoder.train.generator_lr_ramp_steps)"
        )

    def wrap(module: torch.nn.Module) -> torch.nn.Module:
        if not context.enabled:
            return module
        return DistributedDataParallel(
            module, device_ids=[device.index] if device.type == "cuda" else None
        )

    trainer = GANTrainer(
        generator=generator,
        discriminator=discriminator,
        generator_optimizer=optimizers[0],
        discriminator_optimizer=optimizers[1],
        criterion=GeneratorLoss(config.audio, opts).to(device),
        scaler=scaler,
        autocast=torch.autocast(device.type, dtype=amp_dtype, enabled=amp),
        grad_clip=opts.grad_clip,
        context=context,
        **trainer_networks(generator, discriminator, opts.compile, wrap),
    )

    if gta_dir is not None:
        train_entries, val_entries = gta_entries(gta_dir, "train"), gta_entries(gta_dir, "val")
    else:
        train_entries = featdir_entries(feat_dir, "train")
        val_entries = featdir_entries(feat_dir, "val") if context.is_main else []
    if not train_entries:
        raise ConfigError(f"{gta_dir or feat_dir}/train.jsonl holds no utterances")
    train_set = VocoderDataset(
        train_entries, config.audio, opts.segment_size, root=gta_dir, seed=opts.seed
    )
    val_set = VocoderDataset(val_entries, config.audio, None, root=gta_dir)
    sampler = EpochBatchSampler(
        LengthBucketSampler(
            [1] * len(train_set),
            opts.batch_size,
            shuffle=True,
            seed=opts.seed,
            num_replicas=world,
            rank=context.rank,
        )
    )
    loader = DataLoader(
        train_set,
        batch_sampler=sampler,
        num_workers=opts.num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=opts.num_workers > 0,
    )
    if context.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(
            run_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False)
        )

    total_steps = max_steps if max_steps is not None else opts.max_steps
    deadline = None if max_minutes is None else time.monotonic() + 60.0 * max_minutes
    sample_rate = config.audio.sample_rate
    compiled_as = f", compiled ({compile_mode(opts.compile) or 'default'})" if opts.compile else ""
    logger.message(
        f"training HiFi-GAN {config.vocoder.generator.variant} "
        f"({sum(p.numel() for p in generator.parameters()) / 1e6:.2f}M generator, "
        f"{sum(p.numel() for p in discriminator.parameters()) / 1e6:.2f}M discriminator "
        f"parameters) on {device} x{world}, amp {opts.amp_dtype if amp else 'off'}"
        f"{compiled_as}, "
        f"{len(train_set)} utterances{' (GTA mels)' if gta_dir else ''}, "
        f"step {step} -> {total_steps}"
    )
    progress = progress_bar(total_steps, step, context.is_main and opts.progress)
    losses: list[float] = []
    tally = StepTally(skipped, "lower vocoder.train.learning_rate, check the data, or disable amp")
    val_terms, saved, first_validation = None, None, True
    generator.train()
    discriminator.train()
    stop, stopped = StopRequest(), None  # stopped: why the loop ends early
    with stop:
        while step < total_steps:
            lr = opts.learning_rate * opts.lr_decay ** (lr_epochs_before + epoch)
            for group in optimizers[1].param_groups:
                group["lr"] = lr
            sampler.set_epoch(epoch, batch_in_epoch)
            if batch_in_epoch == 0 and len(sampler) == 0:
                raise ValueError(f"the training data gives no batches for {world} process(es)")
            for batch in loader:
                batch_in_epoch += 1
                mels = batch["mels"].to(device, non_blocking=True)
                wavs = batch["wavs"].to(device, non_blocking=True)
                scale = 1.0
                if ramp:  # reads the optimizer's step (a host sync) only while ramping
                    scale = generator_lr_scale(optimizer_updates(optimizers[0]), opts, ramp)
                    ramp = scale < 1.0
                generator_lr = lr * scale
                for group in optimizers[0].param_groups:
                    group["lr"] = generator_lr
                terms = trainer.step(
                    mels,
                    wavs,
                    update_generator=step >= opts.mel_only_steps + opts.discriminator_warmup_steps,
                    adversarial=step >= opts.mel_only_steps,
                )
                step += 1
                tally.count(wavs.numel() / sample_rate)
                stopped = stop_reason(deadline, stop, context) or stopped
                if stopped is not None:  # this step is the last: save (and validate) as usual
                    total_steps = step
                norms = (
                    terms.get(f"{net}_grad_norm", 0.0) for net in ("generator", "discriminator")
                )
                if all(map(math.isfinite, norms)):  # a norm is absent where no update was made
                    tally.applied(terms)
                else:
                    tally.skip(step, logger)
                losses.append(terms["generator"])
                progress.update(1)

                if step % opts.log_interval == 0 or step == total_steps:
                    values, audio_seconds_per_second = tally.interval(world)
                    values.update(
                        learning_rate=lr,
                        generator_learning_rate=generator_lr,
                        skipped_steps=tally.skipped,
                        audio_seconds_per_second=audio_seconds_per_second,
                    )
                    logger.scalars("train", values, step)
                    progress.set_postfix(mel=f"{values.get('mel_l1', math.nan):.3f}")
                sample_due = opts.sample_interval > 0 and step % opts.sample_interval == 0
                if (
                    context.is_main
                    and len(val_set)
                    and stopped != "interrupt"  # Ctrl-C: save and go, no validation
                    and (step % opts.val_interval == 0 or sample_due or step == total_steps)
                ):
                    val_terms, examples = validate(
                        generator, trainer.criterion, val_set, opts.val_utterances, device
                    )
                    logger.scalars("val", val_terms, step)
                    if sample_due or (first_validation and opts.sample_interval > 0):
                        for index, example in enumerate(examples[:2]):
                            generated = example["generated"]
                            logger.audio(f"val/generated_{index}", generated, sample_rate, step)
                            if first_validation:
                                logger.audio(
                                    f"val/real_{index}", example["real"], sample_rate, step
                                )
                            figure = plot_mels(
                                example["real_mel"].numpy(),
                                example["generated_mel"].numpy(),
                                f"step {step}",
                            )
                            logger.figure(f"val/mel_{index}", figure, step)
                    first_validation = False
                if context.is_main and checkpointer.due(step, force=step == total_steps):
                    state = {
                        "kind": CHECKPOINT_KIND,
                        "model": generator.state_dict(),
                        "discriminator": discriminator.state_dict(),
                        "optimizer": optimizers[0].state_dict(),
                        "discriminator_optimizer": optimizers[1].state_dict(),
                        "scaler": scaler.state_dict() if scaler.is_enabled() else None,
                        "step": step,
                        "epoch": epoch,
                        "batch_in_epoch": batch_in_epoch,
                        "batch_order": batch_order,
                        "lr_epochs_before": lr_epochs_before,
                        "generator_lr_ramp": ramp,
                        "skipped_steps": tally.skipped,
                        "config": config.to_dict(),
                        "data": data,
                        "init_from": None if init_from is None else str(init_from),
                    }
                    saved = checkpointer.save(step, state)
                if step >= total_steps:
                    break
            else:
                epoch, batch_in_epoch = epoch + 1, 0
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
        "checkpoint": saved,
        "generator": generator,
        "discriminator": discriminator,
        "audio_seconds_per_second": tally.rate(world),
    }
