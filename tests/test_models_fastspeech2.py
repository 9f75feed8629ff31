"""FastSpeech 2: shapes, padding invariance, controls (reference-code faults fixed), loss."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from fastspeak.config import ConfigError, ModelConfig, VarianceConfig, load_config
from fastspeak.models import FastSpeech2, FastSpeech2Loss, regulate_length

VOCAB = 40
N_MELS = 6


def tiny_config(
    pitch_level: str = "phoneme",
    energy_level: str = "phoneme",
    embedding: str = "bins",
    quantization: str = "linear",
    n_speakers: int = 0,
) -> ModelConfig:
    return ModelConfig(
        vocab_size=VOCAB,
        n_speakers=n_speakers,
        n_mels=N_MELS,
        hidden=16,
        encoder_layers=1,
        decoder_layers=1,
        attention_heads=2,
        conv_filter_size=32,
        conv_kernel_sizes=[9, 1],
        max_seq_len=50,
        pitch_level=pitch_level,  # type: ignore[arg-type]
        energy_level=energy_level,  # type: ignore[arg-type]
        postnet_layers=3,
        postnet_channels=16,
        variance=VarianceConfig(
            filter_size=16,
            n_bins=32,
            embedding=embedding,  # type: ignore[arg-type]
            pitch_quantization=quantization,  # type: ignore[arg-type]
            energy_quantization=quantization,  # type: ignore[arg-type]
            pitch_mean=150.0,
            pitch_std=40.0,
            pitch_min=60.0,
            pitch_max=400.0,
            energy_mean=20.0,
            energy_std=10.0,
            energy_min=0.5,
            energy_max=80.0,
        ),
    )


def make_model(config: ModelConfig, seed: int = 0) -> FastSpeech2:
    torch.manual_seed(seed)
    model = FastSpeech2(config)
    with torch.no_grad():  # predict ~3-6 frames per token so infer has real durations
        model.variance_adaptor.duration_predictor.projection.bias.fill_(math.log(5.0))
    return model


def make_batch(config: ModelConfig, lengths: list[int], seed: int = 0) -> SimpleNamespace:
    """Random padded batch; pitch/energy RAW, at the config's levels; padding is garbage."""
    g = torch.Generator().manual_seed(seed)
    batch, longest = len(lengths), max(lengths)
    token_lengths = torch.tensor(lengths)
    valid = torch.arange(longest) < token_lengths[:, None]
    tokens = torch.randint(1, VOCAB, (batch, longest), generator=g) * valid
    durations = torch.randint(0, 5, (batch, longest), generator=g) * valid
    durations[:, 0] += 1
    mel_lengths = durations.sum(1)
    frames = int(mel_lengths.max())
    pitch_tokens = 80 + 200 * torch.rand(batch, longest, generator=g)
    pitch_tokens[0, 1] = 0.0  # a "no value" phone
    energy_tokens = 1 + 60 * torch.rand(batch, longest, generator=g)

    def level(values: torch.Tensor, which: str) -> torch.Tensor:
        if which == "phoneme":
            return torch.where(valid, values, torch.full_like(values, 1e4))
        expanded = regulate_length(values.unsqueeze(-1), durations)[0].squeeze(-1)
        frame_valid = torch.arange(frames) < mel_lengths[:, None]
        return torch.where(frame_valid, expanded, torch.full_like(expanded, 1e4))

    mels = torch.randn(batch, frames, N_MELS, generator=g)
    return SimpleNamespace(
        tokens=tokens,
        token_lengths=token_lengths,
        durations=durations,
        mel_lengths=mel_lengths,
        mels=mels,
        pitch=level(pitch_tokens, config.pitch_level),
        energy=level(energy_tokens, config.energy_level),
        speaker_ids=torch.arange(batch) % max(config.n_speakers, 1),
    )


def run_forward(model: FastSpeech2, b: SimpleNamespace):
    return model(
        b.tokens, b.token_lengths, b.durations, b.pitch, b.energy, b.speaker_ids, b.mel_lengths
    )


LEVELS = [("phoneme", "phoneme"), ("frame", "frame"), ("phoneme", "frame")]
EMBEDDINGS = [("bins", "linear"), ("bins", "log"), ("conv", "linear")]


@pytest.mark.parametrize("levels", LEVELS, ids=lambda v: "-".join(v))
@pytest.mark.parametrize("embedding", EMBEDDINGS, ids=lambda v: "-".join(v))
@pytest.mark.parametrize("n_speakers", [0, 3])
def test_forward_and_infer_shapes(levels, embedding, n_speakers: int) -> None:
    config = tiny_config(*levels, *embedding, n_speakers=n_speakers)
    model = make_model(config)
    b = make_batch(config, [5, 3, 7])
    out = run_forward(model, b)
    frames = int(b.mel_lengths.max())
    assert out.mels.shape == out.mels_postnet.shape == (3, frames, N_MELS)
    assert out.mel_lengths.tolist() == b.mel_lengths.tolist()
    assert out.mel_mask.shape == (3, frames) and out.token_mask.shape == (3, 7)
    assert out.log_duration_prediction.shape == (3, 7)
    length = {"phoneme": 7, "frame": frames}
    assert out.pitch_prediction.shape == out.pitch.shape == (3, length[levels[0]])
    assert out.energy_prediction.shape == out.energy.shape == (3, length[levels[1]])
    assert out.teacher_forced
    model.eval()
    inferred = model.infer(b.tokens, b.token_lengths, b.speaker_ids)
    t = int(inferred.mel_lengths.max())
    assert inferred.mels_postnet.shape == (3, t, N_MELS)
    assert inferred.durations.sum(1).tolist() == inferred.mel_lengths.tolist()
    assert (inferred.mel_lengths >= 1).all() and not inferred.teacher_forced
    assert inferred.pitch.shape[1] == (7 if levels[0] == "phoneme" else t)
    assert torch.isfinite(inferred.mels_postnet).all()


@pytest.mark.parametrize("levels", LEVELS, ids=lambda v: "-".join(v))
@pytest.mark.parametrize("embedding", ["bins", "conv"])
def test_padded_batch_equals_single_items(levels, embedding: str) -> None:
    config = tiny_config(*levels, embedding=embedding, n_speakers=3)
    model = make_model(config).eval()
    lengths = [6, 2, 9]
    b = make_batch(config, lengths)
    with torch.no_grad():
        batched = run_forward(model, b)
    inferred = model.infer(b.tokens, b.token_lengths, b.speaker_ids)
    for i, n in enumerate(lengths):
        frames = int(b.mel_lengths[i])
        p_len = n if levels[0] == "phoneme" else frames
        e_len = n if levels[1] == "phoneme" else frames
        one = SimpleNamespace(
            tokens=b.tokens[i : i + 1, :n],
            token_lengths=b.token_lengths[i : i + 1],
            durations=b.durations[i : i + 1, :n],
            pitch=b.pitch[i : i + 1, :p_len],
            energy=b.energy[i : i + 1, :e_len],
            speaker_ids=b.speaker_ids[i : i + 1],
            mel_lengths=b.mel_lengths[i : i + 1],
        )
        with torch.no_grad():
            single = run_forward(model, one)
        close = dict(atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(
            batched.mels_postnet[i, :frames], single.mels_postnet[0], **close
        )
        torch.testing.assert_close(
            batched.pitch_prediction[i, :p_len], single.pitch_prediction[0], **close
        )
        torch.testing.assert_close(
            batched.log_duration_prediction[i, :n], single.log_duration_prediction[0], **close
        )
        assert (batched.mels_postnet[i, frames:] == 0).all()

        alone = model.infer(one.tokens, one.token_lengths, one.speaker_ids)
        t = int(alone.mel_lengths[0])
        assert inferred.durations[i, :n].tolist() == alone.durations[0].tolist()
        torch.testing.assert_close(inferred.mels_postnet[i, :t], alone.mels_postnet[0], **close)
        assert (inferred.mels_postnet[i, t:] == 0).all()


@pytest.fixture(scope="module")
def phoneme_model() -> tuple[FastSpeech2, SimpleNamespace]:
    config = tiny_config("phoneme", "phoneme", n_speakers=3)
    return make_model(config).eval(), make_batch(config, [8, 5, 11])


def test_speed_changes_only_durations(phoneme_model) -> None:
    model, b = phoneme_model
    base = model.infer(b.tokens, b.token_lengths, b.speaker_ids)
    fast = model.infer(b.tokens, b.token_lengths, b.speaker_ids, speed=2.0)
    expected = torch.round((torch.exp(base.log_duration_prediction) - 1) / 2.0).clamp(min=0)
    assert fast.durations.tolist() == (expected.long() * base.token_mask).tolist()
    assert (fast.mel_lengths < base.mel_lengths).all()
    for name in ("pitch_prediction", "energy_prediction", "pitch", "energy"):
        torch.testing.assert_close(getattr(fast, name), getattr(base, name), rtol=0, atol=0)
    # per-token speed: slow down only the first token of each utterance
    speed = torch.ones_like(b.tokens, dtype=torch.float)
    speed[:, 0] = 0.5
    slow = model.infer(b.tokens, b.token_lengths, b.speaker_ids, speed=speed)
    assert slow.durations[:, 1:].tolist() == base.durations[:, 1:].tolist()
    assert (slow.durations[:, 0] > base.durations[:, 0]).all()


@pytest.mark.parametrize("level", ["phoneme", "frame"])
def test_pitch_semitones_doubles_hz_and_touches_nothing_else(level: str, phoneme_model) -> None:
    if level == "phoneme":
        model, b = phoneme_model
    else:
        config = tiny_config("frame", "frame", n_speakers=3)
        model, b = make_model(config).eval(), make_batch(config, [8, 5, 11])
    base = model.infer(b.tokens, b.token_lengths, b.speaker_ids)
    up = model.infer(b.tokens, b.token_lengths, b.speaker_ids, pitch_semitones=12.0)
    mask = base.token_mask if level == "phoneme" else base.mel_mask
    torch.testing.assert_close(
        model.denormalize_pitch(up.pitch)[mask],
        2.0 * model.denormalize_pitch(base.pitch)[mask],
        rtol=1e-5,
        atol=1e-3,
    )
    assert up.durations.tolist() == base.durations.tolist()
    torch.testing.assert_close(up.energy, base.energy, rtol=0, atol=0)
    torch.testing.assert_close(up.pitch_prediction, base.pitch_prediction, rtol=0, atol=0)
    assert not torch.equal(up.mels_postnet, base.mels_postnet)  # audible: the decoder sees it


@pytest.mark.parametrize("level", ["phoneme", "frame"])
def test_energy_db_scales_raw_energy_only(level: str, phoneme_model) -> None:
    # ming024's energy control used the pitch factor; here energy_db moves energy alone.
    if level == "phoneme":
        model, b = phoneme_model
    else:
        config = tiny_config("frame", "frame", n_speakers=3)
        model, b = make_model(config).eval(), make_batch(config, [8, 5, 11])
    base = model.infer(b.tokens, b.token_lengths, b.speaker_ids)
    loud = model.infer(b.tokens, b.token_lengths, b.speaker_ids, energy_db=6.0)
    mask = base.token_mask if level == "phoneme" else base.mel_mask
    ratio = (
        model.denormalize_energy(loud.energy)[mask] / model.denormalize_energy(base.energy)[mask]
    )
    torch.testing.assert_close(ratio, torch.full_like(ratio, 10 ** (6 / 20)), rtol=1e-4, atol=0)
    assert abs(10 ** (6 / 20) - 2.0) < 0.01
    assert loud.durations.tolist() == base.durations.tolist()
    torch.testing.assert_close(loud.pitch, base.pitch, rtol=0, atol=0)


def test_per_token_pitch_control(phoneme_model) -> None:
    model, b = phoneme_model
    base = model.infer(b.tokens, b.token_lengths, b.speaker_ids)
    semitones = torch.zeros_like(b.tokens, dtype=torch.float)
    semitones[:, 1] = 12.0
    up = model.infer(b.tokens, b.token_lengths, b.speaker_ids, pitch_semitones=semitones)
    hz, base_hz = model.denormalize_pitch(up.pitch), model.denormalize_pitch(base.pitch)
    torch.testing.assert_close(hz[:, 1], 2 * base_hz[:, 1], rtol=1e-5, atol=1e-3)
    torch.testing.assert_close(up.pitch[:, 2:], base.pitch[:, 2:], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="pitch_semitones must be"):
        model.infer(b.tokens, b.token_lengths, b.speaker_ids, pitch_semitones=torch.zeros(3, 4))
    tokens = b.tokens.shape[1]  # a 1-D control is per utterance, never silently per token
    with pytest.raises(ValueError, match="speed must be"):
        model.infer(b.tokens, b.token_lengths, b.speaker_ids, speed=torch.ones(tokens))
    with pytest.raises(ValueError, match="energy_db must be"):  # (2, N) for 3 utterances
        model.infer(b.tokens, b.token_lengths, b.speaker_ids, energy_db=torch.zeros(2, tokens))


def test_infer_max_frames_and_minimum_one_frame(phoneme_model) -> None:
    model, b = phoneme_model
    capped = model.infer(b.tokens, b.token_lengths, b.speaker_ids, max_frames=10)
    assert capped.mels.shape[1] == 10 and capped.mel_lengths.max() == 10
    silent = make_model(tiny_config()).eval()
    with torch.no_grad():
        silent.variance_adaptor.duration_predictor.projection.bias.fill_(-20.0)
    out = silent.infer(b.tokens, b.token_lengths)
    assert out.mel_lengths.tolist() == [1, 1, 1]


def test_long_inputs_are_not_truncated() -> None:
    config = tiny_config("phoneme", "frame")
    model = make_model(config)
    b = make_batch(config, [320, 310])
    b.durations = (torch.arange(320) < b.token_lengths[:, None]) * 4  # 1280 frames > 1000
    b.mel_lengths = b.durations.sum(1)
    b.energy = torch.full((2, 1280), 10.0)
    out = run_forward(model, b)
    assert out.mels_postnet.shape == (2, 1280, N_MELS)
    assert out.mel_mask.sum(1).tolist() == [1280, 1240]
    model.eval()
    with torch.no_grad():  # predict exactly 4 frames per token
        model.variance_adaptor.duration_predictor.projection.weight.zero_()
    inferred = model.infer(b.tokens, b.token_lengths)
    assert inferred.mel_lengths.tolist() == [1280, 1240]
    assert inferred.mels_postnet.abs().sum(-1)[0, inferred.mel_lengths[0] - 1] > 0


def test_values_beyond_the_corpus_range_use_the_nearest_trained_bin() -> None:
    """Bucket 0 holds only the corpus minimum and bucket n_bins - 1 only values above the
    maximum, so neither row is trained: out-of-range values take rows 1 and n_bins - 2."""
    config = tiny_config()
    model = make_model(config)
    energy = model.variance_adaptor.energy
    energy.set_statistics({"mean": 5.0, "std": 2.0, "min": 1.0, "max": 9.0})
    n_bins = config.variance.n_bins
    rows = energy.embedding.weight
    raw = torch.tensor([[0.5, 1.0, 1.01, 5.0, 8.99, 9.0, 9.5, 40.0]])
    mask = torch.ones_like(raw, dtype=torch.bool)
    embedded = energy.embed(energy.normalize(raw, mask), mask)[0]
    expected_rows = [1, 1, 1, None, n_bins - 2, n_bins - 2, n_bins - 2, n_bins - 2]
    for value, row, vector in zip(raw[0].tolist(), expected_rows, embedded, strict=True):
        if row is not None:
            torch.testing.assert_close(vector, rows[row], msg=f"raw {value}")
    # inside the range every row in between is reached
    inside = torch.linspace(1.0001, 8.9999, 4000)[None]
    buckets = torch.bucketize(
        energy.normalize(inside, torch.ones_like(inside, dtype=torch.bool)), energy.boundaries
    )
    assert set(buckets.unique().tolist()) == set(range(1, n_bins - 1))


def test_statistics_are_buffers_and_round_trip() -> None:
    config = tiny_config(quantization="log")
    model = make_model(config)
    stats = {"mean": 210.0, "std": 30.0, "min": 90.0, "max": 500.0, "count": 9, "robust_min": 1}
    model.set_statistics(pitch=stats, energy={"mean": 5.0, "std": 2.0, "min": 0.1, "max": 9.0})
    pitch = model.variance_adaptor.pitch
    assert float(pitch.mean) == 210.0 and model.config.variance.pitch_max == 500.0
    assert config.variance.pitch_mean == 150.0  # the caller's config is not mutated
    edges = pitch.boundaries * 30.0 + 210.0
    torch.testing.assert_close(edges[[0, -1]], torch.tensor([90.0, 500.0]))
    ratios = edges[1:] / edges[:-1]
    torch.testing.assert_close(ratios, torch.full_like(ratios, ratios[0].item()))  # log spaced
    state = model.state_dict()
    assert "variance_adaptor.pitch.boundaries" in state
    assert "variance_adaptor.energy.mean" in state
    rebuilt = FastSpeech2(model.config)
    rebuilt.load_state_dict(state)
    b = make_batch(config, [4, 6])
    model.eval(), rebuilt.eval()
    torch.testing.assert_close(
        model.infer(b.tokens, b.token_lengths).mels, rebuilt.infer(b.tokens, b.token_lengths).mels
    )
    with pytest.raises(ValueError, match="log quantization needs min > 0"):
        model.set_statistics(pitch={**stats, "min": 0.0}, energy=stats)


def test_model_config_in_config_file_and_validation() -> None:
    config = load_config(None, ["model.decoder_layers=2", "model.variance.embedding=conv"])
    assert config.model.decoder_layers == 2 and config.model.encoder_layers == 4
    assert config.model.variance.embedding == "conv"
    with pytest.raises(ConfigError, match="divisible"):
        load_config(None, ["model.attention_heads=3"])
    with pytest.raises(ConfigError, match="needs energy_min > 0"):
        load_config(None, ["model.variance.energy_quantization=log", "model.variance.energy_min=0"])


def test_forward_rejects_durations_that_disagree_with_mels() -> None:
    config = tiny_config()
    model = make_model(config)
    b = make_batch(config, [4, 6])
    with pytest.raises(ValueError, match="do not sum to mel_lengths"):
        model(b.tokens, b.token_lengths, b.durations, b.pitch, b.energy, None, b.mel_lengths + 1)
    with pytest.raises(ValueError, match="pass speaker_ids"):
        make_model(tiny_config(n_speakers=2))(
            b.tokens, b.token_lengths, b.durations, b.pitch, b.energy
        )


@pytest.mark.parametrize("levels", [("phoneme", "phoneme"), ("frame", "phoneme")])
def test_loss_terms_masked_and_finite(levels) -> None:
    config = tiny_config(*levels, n_speakers=3)
    model = make_model(config).eval()  # eval: two passes must be deterministic
    loss = FastSpeech2Loss(config)
    b = make_batch(config, [5, 9, 3])
    total, terms = loss(b, run_forward(model, b))
    assert set(terms) == {"mel", "postnet_mel", "pitch", "energy", "duration"}
    assert torch.isfinite(total) and all(torch.isfinite(v) for v in terms.values())
    torch.testing.assert_close(total, sum(terms.values()))
    # garbage in every padded position changes nothing
    frame_pad = torch.arange(b.mels.size(1)) >= b.mel_lengths[:, None]
    token_pad = torch.arange(b.tokens.size(1)) >= b.token_lengths[:, None]
    b.mels[frame_pad] = float("nan")
    b.pitch = b.pitch.masked_fill(token_pad if levels[0] == "phoneme" else frame_pad, -7.0)
    b.energy = b.energy.masked_fill(token_pad, 1e9)
    b.durations = b.durations + 3 * token_pad
    b.tokens = b.tokens + token_pad
    b.mel_lengths = b.durations.sum(1) - 3 * token_pad.sum(1)  # targets' own lengths unchanged
    b.durations = b.durations.masked_fill(token_pad, 0)
    b.mels = torch.cat([b.mels, torch.full_like(b.mels[:, :4], 5.0)], 1)  # longer padded mels
    again, again_terms = loss(b, run_forward(model, b))
    for name in terms:
        torch.testing.assert_close(again_terms[name], terms[name])
    with pytest.raises(ValueError, match="model.forward"):
        loss(b, model.infer(b.tokens, b.token_lengths, b.speaker_ids))


@pytest.mark.parametrize("embedding", ["bins", "conv"])
def test_gradients_reach_every_parameter(embedding: str) -> None:
    config = tiny_config("phoneme", "frame", embedding=embedding, n_speakers=3)
    model = make_model(config).train()
    b = make_batch(config, [5, 9, 3])
    total, _ = FastSpeech2Loss(config)(b, run_forward(model, b))
    total.backward()
    missing = [
        name
        for name, p in model.named_parameters()
        if p.grad is None or not torch.isfinite(p.grad).all() or p.grad.abs().sum() == 0
    ]
    assert not missing, f"no gradient for {missing}"


def test_ming024_config_parameter_count() -> None:
    model = FastSpeech2(ModelConfig(vocab_size=361, n_speakers=0))
    count = sum(p.numel() for p in model.parameters())
    print(f"FastSpeech2 parameters with ming024 LJSpeech config (vocab 361): {count:,}")
    assert 27e6 <= count <= 36e6
