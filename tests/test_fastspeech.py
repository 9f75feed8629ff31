"""The original FastSpeech (models/fastspeech.py, cbhg.py, FastSpeechLoss, the registry): shapes,
padding, speed control, loss variants, config selection, training through the shared loop,
and synthesis from its checkpoint."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from fastspeak.config import (
    Config,
    ConfigError,
    FastSpeechConfig,
    ModelConfig,
    TextConfig,
    load_config,
)
from fastspeak.models import FastSpeech, FastSpeechLoss, build_model, model_spec, spec_for_kind
from fastspeak.models.cbhg import CBHGPostNet
from fastspeak.models.layers import PostNet
from fastspeak.synthesis import CheckpointError, SynthesisError, Synthesizer
from fastspeak.text.vocab import Vocabulary
from fastspeak.train.checkpoint import load_checkpoint, save_checkpoint
from fastspeak.train.loop import train

TINY = Path(__file__).parent.parent / "configs" / "piper_joe" / "fastspeech2_tiny.yaml"
N_MELS = 12


def tiny_config(vocab_size: int = 20, n_speakers: int = 0, **options: object) -> ModelConfig:
    return ModelConfig(
        name="fastspeech",
        vocab_size=vocab_size,
        n_speakers=n_speakers,
        n_mels=N_MELS,
        hidden=16,
        encoder_layers=1,
        decoder_layers=1,
        attention_heads=2,
        conv_filter_size=16,
        postnet_layers=2,
        postnet_channels=8,
        fastspeech=FastSpeechConfig(
            duration_filter_size=8, cbhg_bank_size=3, cbhg_projection_channels=8, **options
        ),
    )


def tiny_batch(seed: int = 0) -> SimpleNamespace:
    generator = torch.Generator().manual_seed(seed)
    token_lengths = torch.tensor([7, 4, 1])
    mask = torch.arange(7).unsqueeze(0) < token_lengths.unsqueeze(1)
    tokens = torch.randint(1, 20, (3, 7), generator=generator) * mask
    durations = torch.randint(0, 4, (3, 7), generator=generator) * mask
    durations[:, 0] += 1  # every utterance has frames
    mel_lengths = durations.sum(1)
    mels = torch.randn(3, int(mel_lengths.max()), N_MELS, generator=generator)
    mels = mels * (torch.arange(mels.size(1)).unsqueeze(0) < mel_lengths.unsqueeze(1))[..., None]
    return SimpleNamespace(
        tokens=tokens,
        token_lengths=token_lengths,
        durations=durations,
        mel_lengths=mel_lengths,
        mels=mels,
        speaker_ids=torch.tensor([0, 1, 0]),
    )


def quiet_duration_model(config: ModelConfig, frames: float = 4.0) -> FastSpeech:
    """About ``frames`` frames per token, so speed changes show in the lengths."""
    torch.manual_seed(0)
    model = FastSpeech(config)
    with torch.no_grad():
        projection = model.duration_predictor.projection
        projection.weight.mul_(0.05)
        log_domain = config.fastspeech.duration_loss == "log_mse"
        projection.bias.fill_(math.log1p(frames) if log_domain else frames)
    return model.eval()


@pytest.mark.parametrize("postnet", ["cbhg", "plain", "none"])
@pytest.mark.parametrize("duration_loss", ["log_mse", "linear_l1"])
def test_forward_and_infer_shapes(postnet: str, duration_loss: str) -> None:
    config = tiny_config(n_speakers=2, postnet=postnet, duration_loss=duration_loss)
    model = FastSpeech(config)
    expected = {"cbhg": CBHGPostNet, "plain": PostNet, "none": type(None)}[postnet]
    assert isinstance(model.postnet, expected)
    b = tiny_batch()
    out = model(b.tokens, b.token_lengths, b.durations, b.speaker_ids, b.mel_lengths)
    frames = int(b.mel_lengths.max())
    assert out.mels.shape == out.mels_postnet.shape == (3, frames, N_MELS)
    assert out.teacher_forced and torch.equal(out.mel_lengths, b.mel_lengths)
    assert out.duration_prediction.shape == (3, 7)
    assert out.duration_domain == ("log" if duration_loss == "log_mse" else "linear")
    padding = ~out.mel_mask
    assert out.mels_postnet[padding].abs().sum() == 0 and out.mels[padding].abs().sum() == 0
    if postnet == "none":
        assert out.mels_postnet is out.mels
    else:
        assert not torch.equal(out.mels_postnet, out.mels)
    total, _ = FastSpeechLoss(config)(b, out)
    total.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)

    inferred = model.eval().infer(b.tokens, b.token_lengths, b.speaker_ids)
    assert not inferred.teacher_forced
    assert torch.equal(inferred.durations.sum(1), inferred.mel_lengths)
    assert (inferred.mel_lengths >= 1).all()
    assert inferred.mels_postnet.shape == (3, int(inferred.mel_lengths.max()), N_MELS)
    with pytest.raises(ValueError, match="speaker_ids"):
        model.infer(b.tokens, b.token_lengths)


def test_teacher_forced_length_checks_the_mels_and_honours_static_frames() -> None:
    model = FastSpeech(tiny_config(n_speakers=2))
    b = tiny_batch()
    with pytest.raises(ValueError, match="do not sum to mel_lengths"):
        model(b.tokens, b.token_lengths, b.durations, b.speaker_ids, b.mel_lengths + 1)
    frames = int(b.mel_lengths.max())
    padded = model(b.tokens, b.token_lengths, b.durations, b.speaker_ids, b.mel_lengths, frames + 5)
    assert padded.mels.shape == (3, frames + 5, N_MELS)
    assert torch.equal(padded.mel_lengths, b.mel_lengths)


@pytest.mark.parametrize("postnet", ["cbhg", "plain"])
def test_padded_batch_equals_each_utterance_alone(postnet: str) -> None:
    """Padding never leaks into valid frames (CBHG: masked convs and a packed GRU)."""
    model = FastSpeech(tiny_config(postnet=postnet)).eval()
    b = tiny_batch(seed=3)
    batched = model(b.tokens, b.token_lengths, b.durations, mel_lengths=b.mel_lengths)
    for i in range(3):
        n, t = int(b.token_lengths[i]), int(b.mel_lengths[i])
        alone = model(
            b.tokens[i : i + 1, :n], b.token_lengths[i : i + 1], b.durations[i : i + 1, :n]
        )
        torch.testing.assert_close(
            batched.mels_postnet[i, :t], alone.mels_postnet[0], atol=1e-5, rtol=1e-4
        )
        torch.testing.assert_close(
            batched.duration_prediction[i, :n], alone.duration_prediction[0], atol=1e-5, rtol=1e-4
        )


@pytest.mark.parametrize("duration_loss", ["log_mse", "linear_l1"])
def test_speed_divides_predicted_durations(duration_loss: str) -> None:
    model = quiet_duration_model(tiny_config(duration_loss=duration_loss), frames=4.0)
    b = tiny_batch()
    base = model.infer(b.tokens, b.token_lengths)
    fast = model.infer(b.tokens, b.token_lengths, speed=2.0)
    slow = model.infer(b.tokens, b.token_lengths, speed=0.5)
    frames = base.duration_prediction
    if duration_loss == "log_mse":
        frames = torch.exp(frames) - 1
    mask = base.token_mask
    expected = torch.round(frames.clamp(min=0) / 2.0) * mask
    torch.testing.assert_close(fast.durations.float(), expected)
    assert (fast.mel_lengths < base.mel_lengths).all() and (
        slow.mel_lengths > base.mel_lengths
    ).all()
    assert torch.equal(base.duration_prediction, fast.duration_prediction)
    per_utterance = model.infer(b.tokens, b.token_lengths, speed=torch.tensor([1.0, 2.0, 1.0]))
    assert torch.equal(per_utterance.durations[0], base.durations[0])
    assert torch.equal(per_utterance.durations[1], fast.durations[1])
    capped = model.infer(b.tokens, b.token_lengths, max_frames=5)
    assert capped.mels.size(1) == 5 and int(capped.mel_lengths.max()) == 5


def test_pitch_and_energy_controls_are_refused() -> None:
    model = FastSpeech(tiny_config()).eval()
    b = tiny_batch()
    model.infer(b.tokens, b.token_lengths, pitch_semitones=0.0, energy_db=torch.zeros(3))
    for controls in ({"pitch_semitones": 2.0}, {"energy_db": torch.tensor([0.0, 3.0, 0.0])}):
        with pytest.raises(ValueError, match="no pitch or energy control"):
            model.infer(b.tokens, b.token_lengths, **controls)


@pytest.mark.parametrize("mel_loss", ["mse", "l1"])
@pytest.mark.parametrize("duration_loss", ["log_mse", "linear_l1"])
@pytest.mark.parametrize("postnet", ["cbhg", "none"])
def test_loss_terms_match_hand_computation(mel_loss: str, duration_loss: str, postnet: str) -> None:
    config = tiny_config(mel_loss=mel_loss, duration_loss=duration_loss, postnet=postnet)
    model = FastSpeech(config)
    b = tiny_batch()
    out = model(b.tokens, b.token_lengths, b.durations, mel_lengths=b.mel_lengths)
    total, terms = FastSpeechLoss(config)(b, out)
    assert set(terms) == (
        {"mel", "postnet_mel", "duration"} if postnet != "none" else {"mel", "duration"}
    )
    valid = out.mel_mask
    power = 2 if mel_loss == "mse" else 1
    mel = ((out.mels - b.mels)[valid].abs() ** power).mean()
    torch.testing.assert_close(terms["mel"], mel.detach())
    tokens = out.token_mask
    if duration_loss == "log_mse":
        duration = (
            (out.duration_prediction - torch.log1p(b.durations.float()))[tokens] ** 2
        ).mean()
    else:
        duration = (out.duration_prediction - b.durations.float())[tokens].abs().mean()
    torch.testing.assert_close(terms["duration"], duration.detach())
    torch.testing.assert_close(total.detach(), sum(terms.values()))
    # padded values never matter
    b.mels = b.mels + 100.0 * (~valid)[..., None]
    again, _ = FastSpeechLoss(config)(b, out)
    torch.testing.assert_close(again, total)


def test_loss_refuses_infer_output_and_a_mismatched_domain() -> None:
    config = tiny_config()
    model = FastSpeech(config).eval()
    b = tiny_batch()
    with pytest.raises(ValueError, match="model.forward"):
        FastSpeechLoss(config)(b, model.infer(b.tokens, b.token_lengths))
    out = model(b.tokens, b.token_lengths, b.durations)
    other = tiny_config(duration_loss="linear_l1")
    with pytest.raises(ValueError, match="same model config"):
        FastSpeechLoss(other)(b, out)


def test_config_selects_the_model_by_name(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("model: fastspeech\n")
    assert load_config(path).model.name == "fastspeech"
    path.write_text("model:\n  name: fastspeech\n  fastspeech:\n    postnet: plain\n")
    config = load_config(path)
    assert config.model.name == "fastspeech" and config.model.fastspeech.postnet == "plain"
    assert load_config(None, ["model.name=fastspeech"]).model.name == "fastspeech"
    assert load_config(None).model.name == "fastspeech2"  # old configs keep FastSpeech 2
    with pytest.raises(ConfigError, match="model.name"):
        load_config(None, ["model.name=tacotron"])
    with pytest.raises(ConfigError, match="model.fastspeech.postnet"):
        load_config(None, ["model.fastspeech.postnet=wavenet"])
    with pytest.raises(ConfigError, match="duration_kernel_size"):
        FastSpeechConfig(duration_kernel_size=4)
    for name in ("fastspeech", "fastspeech2"):
        spec = model_spec(name)
        assert spec_for_kind(spec.kind) is spec
        assert isinstance(build_model(ModelConfig(name=name, hidden=16)), spec.model)
    assert spec_for_kind("hifigan") is None
    shipped = load_config(
        Path(__file__).parent.parent / "configs" / "piper_joe" / "fastspeech.yaml"
    )
    assert shipped.model.name == "fastspeech" and shipped.model.fastspeech.postnet == "cbhg"


def loop_config(*overrides: str) -> Config:
    base = [
        "model.name=fastspeech",
        "model.fastspeech.duration_filter_size=32",
        "model.fastspeech.cbhg_projection_channels=32",
        "train.num_workers=0",
        "train.progress=false",
        "train.batch_size=4",
        "train.save_interval=0",
        "train.milestone_interval=0",
        "train.val_interval=1000",
        "train.plot_interval=1000",
        "train.log_interval=5",
        "train.learning_rate=0.003",
        "train.warmup_steps=5",
    ]
    return load_config(TINY, [*base, *overrides])


@pytest.fixture(scope="module")
def trained(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny FastSpeech trained 30 steps through the shared loop on the piper FEATDIR."""
    run = tmp_path_factory.mktemp("fastspeech_run")
    result = train(loop_config("train.val_interval=30"), piper_featdir, run, max_steps=30)
    return {**result, "run": run}


def test_tiny_fastspeech_trains_through_the_shared_loop(trained: dict) -> None:
    losses = trained["losses"]
    assert trained["step"] == 30 and len(losses) == 30 and trained["skipped_steps"] == 0
    assert all(math.isfinite(loss) for loss in losses)
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    assert set(trained["val"]) == {"total", "mel", "postnet_mel", "duration", "mel_l1"}
    assert isinstance(trained["model"], FastSpeech)
    checkpoint = load_checkpoint(trained["checkpoint"])
    assert checkpoint["kind"] == "fastspeech"
    assert checkpoint["config"]["model"]["name"] == "fastspeech"


def test_checkpoint_round_trip_through_the_synthesizer(trained: dict) -> None:
    synthesizer = Synthesizer.from_checkpoint(trained["checkpoint"], vocoder_options={"n_iter": 4})
    assert isinstance(synthesizer.model, FastSpeech)
    for name, tensor in trained["model"].state_dict().items():
        torch.testing.assert_close(synthesizer.model.state_dict()[name], tensor)
    wav, sample_rate = synthesizer.synth("The cat sat on the mat.")
    result = synthesizer.synthesize("The cat sat on the mat.", speed=2.0)
    assert sample_rate == 22050 and wav.dtype == np.float32 and len(wav) > 0
    assert len(result.wav) < len(wav)
    with pytest.raises(SynthesisError, match="no pitch or energy control"):
        synthesizer.synth("The cat sat.", pitch_semitones=2.0)


def test_resume_continues_a_fastspeech_run(piper_featdir: Path, tmp_path: Path) -> None:
    config = loop_config("train.save_interval=2")
    straight = train(config, piper_featdir, tmp_path / "straight", max_steps=4)
    train(config, piper_featdir, tmp_path / "resumed", max_steps=2)
    resumed = train(config, piper_featdir, tmp_path / "resumed", resume=True, max_steps=4)
    assert resumed["losses"] == straight["losses"][2:]


def test_character_input_checkpoint_synthesizes(tmp_path: Path) -> None:
    """Character tokens (xcmyz's input) go through the same checkpoint and synthesis path."""
    vocab = Vocabulary.full("characters")
    config = Config(text=TextConfig(inventory="characters"))
    config.model = tiny_config(vocab_size=len(vocab))
    config.model.n_mels = config.audio.n_mels
    model = quiet_duration_model(config.model, frames=3.0)
    path = save_checkpoint(
        tmp_path / "chars.pt",
        {
            "kind": "fastspeech",
            "model": model.state_dict(),
            "step": 1,
            "config": config.to_dict(),
            "vocab": vocab.to_dict(),
            "speakers": {},
        },
    )
    synthesizer = Synthesizer.from_checkpoint(path, vocoder_options={"n_iter": 2})
    result = synthesizer.synthesize("Hello there.")
    assert [chunk.tokens[:3] for chunk in result.chunks] == [["h", "e", "l"]]
    assert result.mel.shape[1] == config.audio.n_mels and result.wav is not None
    state = torch.load(path, weights_only=False)
    state["kind"] = "fastspeech2"  # the config says fastspeech: refuse, do not guess
    save_checkpoint(tmp_path / "inconsistent.pt", state)
    with pytest.raises(CheckpointError, match="inconsistent"):
        Synthesizer.from_checkpoint(tmp_path / "inconsistent.pt")
