"""HiFi-GAN parts on CPU with tiny widths: generator lengths and layouts, weight norm, batching,
discriminator outputs, losses, one real training segment, registry, export."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram
from fastspeak.config import (
    AudioConfig,
    ConfigError,
    DiscriminatorConfig,
    HiFiGANConfig,
    load_config,
)
from fastspeak.data.vocoder import corpus_audio_paths
from fastspeak.train.checkpoint import save_checkpoint
from fastspeak.train.gan_loop import GANTrainer, compiled
from fastspeak.vocoders import Vocoder, VocoderError, available_vocoders, make_vocoder
from fastspeak.vocoders.hifigan import (
    DiscriminatorOutput,
    GeneratorLoss,
    HiFiGANDiscriminator,
    HiFiGANGenerator,
    HiFiGANVocoder,
    discriminator_loss,
    export_generator,
    load_generator,
)

TINY = Path(__file__).parent.parent / "configs" / "piper_joe" / "hifigan_tiny.yaml"
AUDIO = AudioConfig()  # 22050 Hz, hop 256, 80 mels: the shipped setting
HOP = AUDIO.hop_length


def tiny_layout(variant: str) -> HiFiGANConfig:
    return HiFiGANConfig(variant=variant, upsample_initial_channel=16)  # type: ignore[arg-type]


def tiny_discriminator() -> DiscriminatorConfig:
    return load_config(TINY).vocoder.discriminator


@pytest.mark.parametrize(
    ("variant", "resblock", "rates"),
    [("v1", 1, [8, 8, 2, 2]), ("v2", 1, [8, 8, 2, 2]), ("v3", 2, [8, 8, 4])],
)
def test_generator_makes_hop_samples_per_frame(variant: str, resblock: int, rates: list) -> None:
    layout = tiny_layout(variant)
    assert layout.resblock == resblock and layout.upsample_rates == rates
    assert layout.hop_length == HOP
    torch.manual_seed(0)
    generator = HiFiGANGenerator(layout, AUDIO.n_mels)
    for frames in (1, 9):
        wavs = generator(torch.randn(2, AUDIO.n_mels, frames))
        assert wavs.shape == (2, frames * HOP)
        assert wavs.abs().max() <= 1.0


def test_paper_layouts_and_parameter_counts() -> None:
    """Table 1 of the paper: V1 13.92M, V2 0.92M, V3 1.46M generator parameters."""
    expected = {"v1": 13.92, "v2": 0.92, "v3": 1.46}
    for variant, millions in expected.items():
        layout = HiFiGANConfig(variant=variant)  # type: ignore[arg-type]
        generator = HiFiGANGenerator(layout, AUDIO.n_mels)
        count = sum(p.numel() for p in generator.remove_weight_norm().parameters())
        assert count / 1e6 == pytest.approx(millions, abs=0.01)
    assert HiFiGANConfig(variant="v2").upsample_initial_channel == 128
    assert HiFiGANConfig(variant="v3").resblock_dilation_sizes == [[1, 2], [2, 6], [3, 12]]


def test_layout_validation_names_the_key_and_fix() -> None:
    config = load_config(
        None,
        [
            "vocoder.generator.upsample_rates=[8,8,2]",
            "vocoder.generator.upsample_kernel_sizes=[16,16,4]",
        ],
    )
    with pytest.raises(ConfigError, match=r"multiply to 128 .* audio.hop_length is 256"):
        config.vocoder.check_audio(config.audio)
    with pytest.raises(ConfigError, match="same length"):
        load_config(None, ["vocoder.generator.upsample_rates=[8,8,2]"])
    with pytest.raises(ConfigError, match="kernel - rate even"):
        load_config(None, ["vocoder.generator.upsample_kernel_sizes=[16,15,4,4]"])
    with pytest.raises(ConfigError, match="resblock type 2 takes 2 dilations"):
        load_config(None, ["vocoder.generator.variant=v3", "vocoder.generator.resblock_dilation_sizes=[[1,2,3],[1,2,3],[1,2,3]]"])  # fmt: skip
    with pytest.raises(ConfigError, match="unknown config key 'vocoder.generator.channels'"):
        load_config(None, ["vocoder.generator.channels=3"])
    with pytest.raises(ConfigError, match="multiple of audio.hop_length"):
        config = load_config(None, ["vocoder.train.segment_size=8000"])
        config.vocoder.check_audio(config.audio)
    with pytest.raises(ConfigError, match="groups must divide"):
        load_config(None, ["vocoder.discriminator.scale_groups=[1,4,16,16,16,16,3]"])
    with pytest.raises(ConfigError, match="loss_f_max"):
        config = load_config(None, ["vocoder.train.loss_f_max=20000"])
        config.vocoder.check_audio(config.audio)


def test_removing_weight_norm_keeps_outputs() -> None:
    torch.manual_seed(1)
    generator = HiFiGANGenerator(tiny_layout("v1"), AUDIO.n_mels).eval()
    # training changes the norms away from their initial values: make g differ from |v|
    with torch.no_grad():
        for name, parameter in generator.named_parameters():
            if name.endswith("original0"):
                parameter.mul_(torch.rand_like(parameter) + 0.5)
    mels = torch.randn(2, AUDIO.n_mels, 12)
    with torch.no_grad():
        before = generator(mels)
        names = set(generator.state_dict())
        generator.remove_weight_norm()
        after = generator(mels)
    assert any("parametrizations" in name for name in names)
    assert not any("parametrizations" in name for name in generator.state_dict())
    assert torch.allclose(before, after, atol=1e-5)


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_batched_vocoding_equals_one_by_one(backend: str) -> None:
    torch.manual_seed(2)
    generator = HiFiGANGenerator(tiny_layout("v3"), AUDIO.n_mels)
    vocoder = HiFiGANVocoder(generator, AUDIO, backend)
    assert isinstance(vocoder, Vocoder) and vocoder.sample_rate == AUDIO.sample_rate
    assert vocoder.uses_onnxruntime(torch.zeros(1)) == (backend == "onnxruntime")
    lengths = torch.tensor([9, 4, 13])
    mels = torch.randn(3, AUDIO.n_mels, 13)
    mels[1, :, 4:] = 100.0  # padding must not leak into the valid samples
    with torch.no_grad():
        wavs, wav_lengths = vocoder(mels, lengths)
        assert wavs.shape == (3, 13 * HOP) and wav_lengths.tolist() == [9 * HOP, 4 * HOP, 13 * HOP]
        for row, length in enumerate(lengths.tolist()):
            alone, _ = vocoder(mels[row : row + 1, :, :length])
            assert torch.allclose(wavs[row, : length * HOP], alone[0], atol=1e-5)
            assert not wavs[row, length * HOP :].any()
    with pytest.raises(ValueError, match="n_mels"):
        vocoder(torch.randn(1, 40, 5))
    with pytest.raises(ValueError, match="1 <= length <= 13"):
        vocoder(mels, torch.tensor([0, 4, 13]))
    with pytest.raises(VocoderError, match="audio.hop_length=300"):
        HiFiGANVocoder(
            HiFiGANGenerator(tiny_layout("v1"), AUDIO.n_mels),
            dataclasses.replace(AUDIO, hop_length=300),
        )


def test_onnxruntime_backend_matches_torch() -> None:
    """The fast CPU path (onnxruntime, exported in memory) gives PyTorch's waveform."""
    torch.manual_seed(3)
    generator = HiFiGANGenerator(HiFiGANConfig(variant="v3"), AUDIO.n_mels)  # full width
    fast = HiFiGANVocoder(generator, AUDIO, "onnxruntime")
    slow = HiFiGANVocoder(generator, AUDIO, "torch")
    mels = torch.randn(2, AUDIO.n_mels, 40) * 2.0 - 6.0
    lengths = torch.tensor([40, 23])
    with torch.inference_mode():
        fast_wavs, fast_lengths = fast(mels, lengths)
        slow_wavs, slow_lengths = slow(mels, lengths)
    assert fast._onnx is not None and slow._onnx is None  # each ran where it says
    assert torch.equal(fast_lengths, slow_lengths) and fast_wavs.shape == slow_wavs.shape
    assert slow_wavs.abs().max() > 1e-3  # random weights still make a signal
    assert (fast_wavs - slow_wavs).abs().max() < 1e-4
    assert not fast_wavs[1, 23 * HOP :].any()
    # "auto" picks onnxruntime on the CPU here; half-precision weights stay on PyTorch
    assert HiFiGANVocoder(generator, AUDIO).uses_onnxruntime(mels)
    assert not HiFiGANVocoder(generator, AUDIO).half().uses_onnxruntime(mels)
    with pytest.raises(VocoderError, match="backend must be one of"):
        HiFiGANVocoder(generator, AUDIO, "tensorrt")


def test_discriminators_score_every_period_and_scale() -> None:
    config = tiny_discriminator()
    discriminator = HiFiGANDiscriminator(config)
    wavs = torch.randn(3, 4096) * 0.1
    output = discriminator(wavs)
    assert len(output.scores) == len(output.features) == len(config.periods) + config.scales
    for index, period in enumerate(config.periods):
        layers = output.features[index]
        assert len(layers) == len(config.period_channels) + 1
        assert layers[0].shape[:2] == (3, config.period_channels[0])
        assert layers[0].shape[-1] == period  # (B, C, T / p, p)
    for index in range(config.scales):
        layers = output.features[len(config.periods) + index]
        assert len(layers) == 8 and layers[-1].shape[1] == 1
    assert all(score.shape[0] == 3 and score.dim() == 2 for score in output.scores)
    # the scales see 4096, ~2048 samples: the second is pooled
    first, second = output.features[len(config.periods)][0], output.features[-1][0]
    assert second.shape[-1] == first.shape[-1] // 2 + 1
    real, fake = output.split(1)
    assert real.scores[0].shape[0] == 1 and fake.features[0][0].shape[0] == 2
    # a length that is not a multiple of the period is reflect-padded
    assert discriminator(torch.randn(1, 4097) * 0.1).features[0][0].shape[-1] == 2


def test_losses_are_lsgan_feature_matching_and_mel_l1() -> None:
    ones, zeros = [torch.ones(2, 5)], [torch.zeros(2, 5)]
    layers = [[torch.ones(2, 3, 4)]]
    perfect, terms = discriminator_loss(
        DiscriminatorOutput(ones, layers), DiscriminatorOutput(zeros, layers)
    )
    assert float(perfect) == 0.0 and terms.keys() == {"real", "fake"}
    worst, _ = discriminator_loss(
        DiscriminatorOutput(zeros, layers), DiscriminatorOutput(ones, layers)
    )
    assert float(worst) == 2.0

    train = load_config(TINY).vocoder.train
    criterion = GeneratorLoss(AUDIO, train)
    assert criterion.mel.config.f_max is None  # the paper's full-band loss mel
    wavs = torch.randn(2, 4096) * 0.1
    real = DiscriminatorOutput([torch.ones(2, 5)], [[torch.ones(2, 3, 4), torch.zeros(2, 1, 4)]])
    fake = DiscriminatorOutput([torch.zeros(2, 5)], [[torch.zeros(2, 3, 4), torch.zeros(2, 1, 4)]])
    total, terms = criterion(wavs, wavs.clone(), real, fake)
    assert terms["mel_l1"] == 0.0 and terms["adversarial"] == 1.0
    assert terms["feature_matching"] == 1.0
    assert float(total) == pytest.approx(1.0 + 2.0 * 1.0)  # weights 1, 2, 45
    noisy, terms = criterion(wavs, wavs + 0.05 * torch.randn_like(wavs), real, fake)
    assert terms["mel_l1"] > 0 and float(noisy) == pytest.approx(3.0 + 45 * float(terms["mel_l1"]))
    band = GeneratorLoss(AUDIO, dataclasses.replace(train, loss_f_max=8000.0)).mel
    assert band.config.f_max == 8000.0 and band.config.hop_length == HOP


@pytest.fixture(scope="module")
def real_segment(piper_featdir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One fixed 4096-sample segment of a real piper recording and its mel (1, 80, 16)."""
    path = sorted(corpus_audio_paths(piper_featdir).values())[0]
    wav = torch.from_numpy(load_audio(path, AUDIO.sample_rate))
    mels = MelSpectrogram(AUDIO)(wav).T  # (80, T)
    start = 20
    segment = wav[start * HOP : (start + 16) * HOP]
    return mels[:, start : start + 16].unsqueeze(0), segment.unsqueeze(0)


def make_trainer(config, learning_rate: float | None = None) -> GANTrainer:
    opts = config.vocoder.train
    torch.manual_seed(0)
    generator = HiFiGANGenerator(config.vocoder.generator, AUDIO.n_mels)
    discriminator = HiFiGANDiscriminator(config.vocoder.discriminator)
    lr = learning_rate or opts.learning_rate
    optimizers = [
        torch.optim.AdamW(module.parameters(), lr=lr, betas=tuple(opts.betas))
        for module in (generator, discriminator)
    ]
    return GANTrainer(
        generator=generator,
        discriminator=discriminator,
        generator_optimizer=optimizers[0],
        discriminator_optimizer=optimizers[1],
        criterion=GeneratorLoss(AUDIO, opts),
        scaler=torch.amp.GradScaler("cpu", enabled=False),
        autocast=torch.autocast("cpu", enabled=False),
    )


def test_training_steps_reduce_mel_l1_on_a_real_segment(real_segment) -> None:
    torch.set_num_threads(1)
    trainer = make_trainer(load_config(TINY), learning_rate=2e-3)
    mels, wavs = real_segment
    history = [trainer.step(mels, wavs) for _ in range(20)]
    for terms in history:
        assert all(math.isfinite(value) for value in terms.values()), terms
    assert {"adversarial", "feature_matching", "mel_l1", "discriminator_real"} <= history[0].keys()
    first, last = history[0]["mel_l1"], np.mean([t["mel_l1"] for t in history[-3:]])
    assert last < 0.8 * first, (first, last)


@pytest.mark.parametrize("adversarial_weight", [None, 0.0, 7.0])
def test_generator_loss_adds_the_weighted_stft_terms_in_both_phases(
    real_segment, adversarial_weight: float | None
) -> None:
    """stft_loss_weight 3 in the mel-only phase; with discriminators the same 3 (None), none
    (0: not computed) or 7 (``adversarial_stft_loss_weight``)."""
    config = load_config(TINY)
    train = dataclasses.replace(
        config.vocoder.train, stft_loss_weight=3.0, adversarial_stft_loss_weight=adversarial_weight
    )
    config = dataclasses.replace(config, vocoder=dataclasses.replace(config.vocoder, train=train))
    mels, wavs = real_segment
    trainer = make_trainer(config)
    mel_only = trainer.step(mels, wavs, adversarial=False)
    stft = mel_only["stft_convergence"] + mel_only["stft_log_magnitude"]
    assert stft > 0 and mel_only["generator_grad_norm"] > 0
    assert mel_only["generator"] == pytest.approx(45.0 * mel_only["mel_l1"] + 3.0 * stft, rel=1e-5)
    adversarial = trainer.step(mels, wavs)
    expected = (
        adversarial["adversarial"]
        + 2.0 * adversarial["feature_matching"]
        + 45.0 * adversarial["mel_l1"]
    )
    weight = 3.0 if adversarial_weight is None else adversarial_weight
    if weight:
        expected += weight * (adversarial["stft_convergence"] + adversarial["stft_log_magnitude"])
    else:
        assert "stft_convergence" not in adversarial  # weight 0 there: not computed
    assert adversarial["generator"] == pytest.approx(expected, rel=1e-5)
    paper = make_trainer(load_config(TINY)).step(mels, wavs, adversarial=False)
    assert "stft_convergence" not in paper  # weight 0: the paper's loss, no STFT computed


def sgd_trainer() -> GANTrainer:
    """The tiny trainer with plain SGD (lr 0.1), so each parameter's change is its gradient."""
    trainer = make_trainer(load_config(TINY))
    for module in ("generator", "discriminator"):
        optimizer = torch.optim.SGD(getattr(trainer, module).parameters(), lr=0.1)
        setattr(trainer, f"{module}_optimizer", optimizer)
    return trainer


def assert_same_updates(trainer: GANTrainer, modules: tuple, initial: list[torch.Tensor]) -> None:
    """trainer's generator and discriminator moved from ``initial`` as ``modules`` did, to
    1e-3 of each parameter's change (float32 summation order; a changed update is ~3e-2)."""
    names = [
        f"{module}.{name}"
        for module in ("generator", "discriminator")
        for name, _ in getattr(trainer, module).named_parameters()
    ]
    after = [p for m in (trainer.generator, trainer.discriminator) for p in m.parameters()]
    expected = [p for m in modules for p in m.parameters()]
    for name, value, wanted, start in zip(names, after, expected, initial, strict=True):
        change = (wanted - start).norm()
        assert change > 0, name
        error = ((value - wanted).norm() / change).item()
        assert error < 5e-3, (name, error)


def test_step_equals_scoring_real_and_generated_together(real_segment) -> None:
    """The generator update scores the real half without a graph: the same update as one pass
    over real + generated in each half of the step (jik876's), parameter for parameter."""
    torch.set_num_threads(1)
    trainer = sgd_trainer()
    reference_g = copy.deepcopy(trainer.generator)
    reference_d = copy.deepcopy(trainer.discriminator)
    initial = [p.detach().clone() for m in (reference_g, reference_d) for p in m.parameters()]
    optimizer_g = torch.optim.SGD(reference_g.parameters(), lr=0.1)
    optimizer_d = torch.optim.SGD(reference_d.parameters(), lr=0.1)
    mels, wavs = real_segment
    trainer.step(mels, wavs)

    generated = reference_g(mels)
    real, fake = reference_d(torch.cat([wavs, generated.detach()])).split(1)
    discriminator_loss(real, fake)[0].backward()
    optimizer_d.step()
    real, fake = reference_d(torch.cat([wavs, generated])).split(1)
    loss_g, _ = trainer.criterion(wavs, generated, real, fake)
    optimizer_g.zero_grad()
    loss_g.backward()
    optimizer_g.step()
    assert_same_updates(trainer, (reference_g, reference_d), initial)


def test_compiled_step_equals_eager_step(real_segment) -> None:
    """``vocoder.train.compile``: the same step through torch.compile'd networks (graph capture
    and autograd checked with the aot_eager backend; inductor's code generation is slow here)."""
    torch.set_num_threads(1)
    eager, trainer = sgd_trainer(), sgd_trainer()
    initial = [
        p.detach().clone() for m in (eager.generator, eager.discriminator) for p in m.parameters()
    ]
    trainer.generator_net = compiled(trainer.generator, backend="aot_eager")
    scorer = compiled(trainer.discriminator, backend="aot_eager")
    trainer.discriminator_net = trainer.discriminator_scorer = scorer
    mels, wavs = real_segment
    expected, terms = eager.step(mels, wavs), trainer.step(mels, wavs)
    for name, value in expected.items():
        assert terms[name] == pytest.approx(value, rel=1e-4, abs=1e-6), name
    assert_same_updates(trainer, (eager.generator, eager.discriminator), initial)


def test_non_finite_step_is_skipped(real_segment) -> None:
    trainer = make_trainer(load_config(TINY))
    before = {k: v.clone() for k, v in trainer.generator.state_dict().items()}
    mels, wavs = real_segment
    terms = trainer.step(mels, wavs * math.nan)
    assert math.isnan(terms["generator_grad_norm"]) and math.isnan(terms["discriminator_grad_norm"])
    after = trainer.generator.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)


def write_vocoder_checkpoint(path: Path, seed: int = 3) -> tuple[Path, HiFiGANGenerator]:
    config = load_config(TINY)
    torch.manual_seed(seed)
    generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels)
    save_checkpoint(
        path,
        {"kind": "hifigan", "model": generator.state_dict(), "config": config.to_dict(), "step": 7},
    )
    return path, generator


def test_registry_name_colon_path_and_clear_errors(tmp_path: Path) -> None:
    path, generator = write_vocoder_checkpoint(tmp_path / "voc.pt")
    assert "hifigan" in available_vocoders()
    by_name = make_vocoder(f"hifigan:{path}", AUDIO)
    by_option = make_vocoder("hifigan", AUDIO, checkpoint=path)
    mels = torch.randn(1, AUDIO.n_mels, 6)
    with torch.no_grad():
        expected = generator.eval()(mels)
        for vocoder in (by_name, by_option):
            wavs, lengths = vocoder(mels)
            assert torch.allclose(wavs, expected, atol=1e-5) and lengths.tolist() == [6 * HOP]
    with pytest.raises(VocoderError, match="needs trained weights"):
        make_vocoder("hifigan", AUDIO)
    with pytest.raises(VocoderError, match="has no trained weights"):
        make_vocoder(f"griffinlim:{path}", AUDIO)
    with pytest.raises(VocoderError, match="does not exist"):
        make_vocoder("hifigan:/nonexistent/voc.pt", AUDIO)
    with pytest.raises(VocoderError, match="trained on mels with"):
        make_vocoder(f"hifigan:{path}", dataclasses.replace(AUDIO, f_max=7000.0))
    acoustic = tmp_path / "acoustic.pt"
    save_checkpoint(acoustic, {"kind": "fastspeech2", "model": {}})
    with pytest.raises(VocoderError, match="not a HiFi-GAN vocoder"):
        make_vocoder(f"hifigan:{acoustic}", AUDIO)


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_export_is_fp16_generator_only_and_loads(tmp_path: Path, suffix: str) -> None:
    if suffix == ".safetensors":
        pytest.importorskip("safetensors")
    path, generator = write_vocoder_checkpoint(tmp_path / "voc.pt")
    weights, meta_path = export_generator(path, tmp_path / "ship" / f"joe{suffix}")
    meta = json.loads(meta_path.read_text())
    assert meta["format"] == "fastspeak-hifigan-generator" and meta["dtype"] == "float16"
    assert meta["step"] == 7 and meta["audio"]["hop_length"] == HOP
    assert meta["generator"]["upsample_initial_channel"] == 32
    if suffix == ".pt":
        state = torch.load(weights, weights_only=True)
        assert all(t.dtype == torch.float16 for t in state.values())
        assert not any("parametrizations" in name for name in state)
    loaded, audio, info = load_generator(meta_path)
    assert audio == AUDIO and info["step"] == 7
    mels = torch.randn(1, AUDIO.n_mels, 8)
    with torch.no_grad():
        assert torch.allclose(loaded(mels), generator.eval()(mels), atol=2e-3)
        wavs, _ = make_vocoder(f"hifigan:{weights}", AUDIO)(mels)
    assert wavs.shape == (1, 8 * HOP)
    with pytest.raises(VocoderError, match="NAME.safetensors or NAME.pt"):
        export_generator(path, tmp_path / "joe.onnx")


def test_shipped_configs_fit_the_piper_audio() -> None:
    configs = TINY.parent
    v1 = load_config(configs / "hifigan.yaml")
    v3 = load_config(configs / "hifigan_v3.yaml")
    for config in (v1, v3):
        config.vocoder.check_audio(config.audio)
        assert config.vocoder.train.segment_size == 8192 and config.vocoder.train.loss_f_max is None
    assert v1.vocoder.generator.upsample_initial_channel == 512
    assert v3.vocoder.generator.resblock == 2


def test_autocast_keeps_the_waveform_in_fp32() -> None:
    torch.manual_seed(4)
    generator = HiFiGANGenerator(tiny_layout("v3"), AUDIO.n_mels)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        wavs = generator(torch.randn(1, AUDIO.n_mels, 3))
    assert wavs.dtype == torch.float32 and torch.isfinite(wavs).all()


def test_discriminator_trains_under_autocast() -> None:
    torch.manual_seed(5)
    discriminator = HiFiGANDiscriminator(tiny_discriminator()).train()
    wavs = torch.randn(2, 2048) * 0.1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output = discriminator(wavs)
    loss, _ = discriminator_loss(*output.split(1))
    loss.backward()
    assert torch.isfinite(loss)
    assert output.scores[len(discriminator.periods)].dtype == torch.float32  # spectral norm: fp32
    assert all(
        torch.isfinite(p.grad).all() for p in discriminator.parameters() if p.grad is not None
    )
