"""Synthesizer facade on tiny random FastSpeech 2 checkpoints (CPU, Griffin-Lim)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from fastspeak.config import Config, ModelConfig, TextConfig, VarianceConfig
from fastspeak.models.fastspeech2 import FastSpeech2
from fastspeak.synthesis import (
    DEFAULT_PAUSES_MS,
    CheckpointError,
    SynthesisError,
    Synthesizer,
    synthesize_command,
    write_outputs,
)
from fastspeak.text.errors import TextError
from fastspeak.text.vocab import Vocabulary
from fastspeak.train.checkpoint import save_checkpoint

SAMPLE_RATE = 22050
HOP = 256
FAST = {"vocoder_options": {"n_iter": 4}}  # Griffin-Lim quality is tested in test_vocoders


def tiny_model(vocab: Vocabulary, n_speakers: int = 0, seed: int = 0) -> tuple[Config, FastSpeech2]:
    config = Config(
        text=TextConfig(inventory="characters"),
        model=ModelConfig(
            vocab_size=len(vocab),
            n_speakers=n_speakers,
            hidden=32,
            encoder_layers=1,
            decoder_layers=1,
            attention_heads=2,
            conv_filter_size=32,
            postnet_layers=2,
            postnet_channels=16,
            variance=VarianceConfig(filter_size=16, n_bins=16),
        ),
    )
    torch.manual_seed(seed)
    model = FastSpeech2(config.model)
    with torch.no_grad():  # about 4 frames per token, so speed changes show in the length
        projection = model.variance_adaptor.duration_predictor.projection
        projection.weight.mul_(0.05)
        projection.bias.fill_(math.log(5.0))
    return config, model


def write_checkpoint(
    path: Path,
    vocab: Vocabulary | None = None,
    speakers: dict[str, int] | None = None,
    ema_seed: int | None = None,
) -> Path:
    """A checkpoint in the trainer's format (fastspeak.train.checkpoint) with random weights."""
    vocab = vocab or Vocabulary.full("characters")
    speakers = speakers or {}
    config, model = tiny_model(vocab, n_speakers=len(speakers) if len(speakers) > 1 else 0)
    ema = None
    if ema_seed is not None:
        _, other = tiny_model(vocab, n_speakers=config.model.n_speakers, seed=ema_seed)
        averaged = AveragedModel(other, multi_avg_fn=get_ema_multi_avg_fn(0.999), use_buffers=True)
        ema = averaged.state_dict()
    return save_checkpoint(
        path,
        {
            "kind": "fastspeech2",
            "model": model.state_dict(),
            "optimizer": {},
            "scaler": None,
            "ema": ema,
            "step": 10,
            "config": config.to_dict(),
            "vocab": vocab.to_dict(),
            "speakers": speakers,
            "stats": {},
        },
    )


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", speakers={"joe": 0})


@pytest.fixture(scope="module")
def synthesizer(checkpoint) -> Synthesizer:
    return Synthesizer.from_checkpoint(checkpoint, **FAST)


def zero_runs(wav: np.ndarray, minimum: int = 64) -> list[tuple[int, int]]:
    """(start, length) of every run of exact zeros at least ``minimum`` samples long."""
    zero = np.concatenate([[False], wav == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    starts, ends = edges[::2], edges[1::2]
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True) if e - s >= minimum]


def test_synth_returns_float32_wav_at_the_config_rate_frames_times_hop(checkpoint):
    synthesizer = Synthesizer.from_checkpoint(checkpoint)  # default Griffin-Lim, 32 iterations
    assert synthesizer.sample_rate == SAMPLE_RATE == synthesizer.config.audio.sample_rate
    assert synthesizer.speakers == {"joe": 0} and len(synthesizer.vocab) > 20
    assert not synthesizer.model.training
    wav, sample_rate = synthesizer.synth("Hello world.")
    assert sample_rate == SAMPLE_RATE and wav.dtype == np.float32 and wav.ndim == 1
    result = synthesizer.synthesize("Hello world.")
    (chunk,) = result.chunks
    assert chunk.tokens[-1] == "." and chunk.frames > 10
    assert len(result.wav) == chunk.frames * HOP == len(wav)
    assert np.isfinite(wav).all() and np.abs(wav).max() > 0
    np.testing.assert_array_equal(result.wav, wav)  # deterministic
    mel = synthesizer.mel("Hello world.")
    assert mel.shape == (chunk.frames, 80) and mel.dtype == np.float32
    np.testing.assert_allclose(mel, result.mel, atol=1e-5)


def test_controls_reach_the_model(synthesizer):
    text = "Speak at several speeds."
    fast, _ = synthesizer.synth(text, speed=2.0)
    slow, _ = synthesizer.synth(text, speed=0.5)
    normal, _ = synthesizer.synth(text)
    assert len(fast) < len(normal) < len(slow)
    assert len(slow) > 3 * len(fast)
    base = synthesizer.mel(text)
    higher = synthesizer.mel(text, pitch_semitones=12.0)
    louder = synthesizer.mel(text, energy_db=6.0)
    assert higher.shape == louder.shape == base.shape  # neither changes durations
    assert not np.allclose(higher, base) and not np.allclose(louder, base)
    for bad in ({"speed": 0.0}, {"speed": -1.0}, {"pitch_semitones": math.nan}):
        with pytest.raises(SynthesisError):
            synthesizer.synth(text, **bad)


def test_sentences_are_joined_with_pauses_that_follow_their_punctuation(synthesizer):
    result = synthesizer.synthesize("One two. Three four? Five six! Seven eight")
    assert [chunk.sentence for chunk in result.chunks] == [
        "One two.",
        "Three four?",
        "Five six!",
        "Seven eight",
    ]
    expected_ms = [DEFAULT_PAUSES_MS["."], DEFAULT_PAUSES_MS["?"], DEFAULT_PAUSES_MS["!"], 0.0]
    assert [chunk.pause_ms for chunk in result.chunks] == expected_ms
    expected_gaps, position = [], 0
    for chunk in result.chunks[:-1]:
        position += chunk.frames * HOP
        expected_gaps.append((position, round(chunk.pause_ms * SAMPLE_RATE / 1000)))
        position += expected_gaps[-1][1]
    assert zero_runs(result.wav) == expected_gaps  # 6615, 7718, 7718 samples of exact zeros
    assert len(result.wav) == position + result.chunks[-1].frames * HOP
    # The mel shows the same pauses as silent frames.
    silent = math.log(synthesizer.config.audio.log_floor)
    first = result.chunks[0].frames
    assert np.all(result.mel[first : first + round(6615 / HOP)] == np.float32(silent))
    # Twice as fast: the pauses between sentences are half as long too.
    fast = synthesizer.synthesize("One two. Three four? Five six! Seven eight", speed=2.0)
    position, gaps = 0, []
    for chunk in fast.chunks[:-1]:
        position += chunk.frames * HOP
        gaps.append((position, round(chunk.pause_ms * SAMPLE_RATE / 1000 / 2)))
        position += gaps[-1][1]
    assert zero_runs(fast.wav) == gaps


def test_pause_table_is_configurable_and_long_sentences_split_at_clause_marks(checkpoint):
    synthesizer = Synthesizer.from_checkpoint(
        checkpoint, pauses_ms={".": 500.0, ",": 120.0}, max_chunk_tokens=40, **FAST
    )
    result = synthesizer.synthesize(
        "This sentence is long enough, so it must be cut at the comma. Done."
    )
    ends = [chunk.tokens[-1] for chunk in result.chunks]
    assert ends[0] == "," and result.chunks[0].pause_ms == 120.0
    assert all(len(chunk.tokens) <= 40 for chunk in result.chunks)
    period = next(chunk for chunk in result.chunks if chunk.tokens[-1] == ".")
    assert period.pause_ms == 500.0
    assert [length for _start, length in zero_runs(result.wav)] == [
        round(chunk.pause_ms * SAMPLE_RATE / 1000) for chunk in result.chunks[:-1]
    ]
    with pytest.raises(SynthesisError, match="no pause is defined for 'x'"):
        Synthesizer.from_checkpoint(checkpoint, pauses_ms={"x": 10.0})


def test_cuts_fall_on_word_boundaries_and_a_lone_final_mark_stays_attached(checkpoint):
    synthesizer = Synthesizer.from_checkpoint(checkpoint, max_chunk_tokens=8, **FAST)
    chunks = synthesizer.prepare("abc def ghi jk.").chunks
    assert [chunk.tokens for chunk in chunks] == [list("abc|def|"), list("ghi|jk.")]
    assert [chunk.pause_ms for chunk in chunks] == [DEFAULT_PAUSES_MS["|"], 0.0]
    (chunk,) = synthesizer.prepare("abcdefgh.").chunks  # 9 tokens, not "abcdefgh" + "."
    assert chunk.tokens == list("abcdefgh.")
    hard = synthesizer.prepare("abcdefghijklmnopqrst").chunks  # no boundary: hard cuts
    assert ["".join(chunk.tokens) for chunk in hard] == ["abcdefgh", "ijklmnop", "qrst"]


def test_batch_matches_one_by_one(synthesizer):
    texts = ["A short one.", "A somewhat longer line. With two sentences!", "Third?"]
    batch = synthesizer.synth_batch(texts)
    assert len(batch) == 3
    for text, wav in zip(texts, batch, strict=True):
        alone, _ = synthesizer.synth(text)
        assert len(alone) == len(wav)
        np.testing.assert_allclose(wav, alone, atol=2e-3)


def test_unknown_tokens_are_skipped_and_counted(tmp_path):
    letters = [s for s in Vocabulary.full("characters").symbols[2:] if s != "z"]
    path = write_checkpoint(tmp_path / "noz.pt", vocab=Vocabulary(letters, "characters"))
    synthesizer = Synthesizer.from_checkpoint(path, **FAST)
    result = synthesizer.synthesize("Zebra zone.")
    assert result.skipped_tokens == {"z": 2}
    assert "z" not in result.chunks[0].tokens and len(result.wav) > 0
    with pytest.raises(TextError, match="none of the characters symbols"):
        synthesizer.synth("Zzz zz.")
    synthesizer.config.text.unknown_symbols = "error"  # as a config asks: refused, not skipped
    strict = Synthesizer(synthesizer.model, synthesizer.config, synthesizer.vocab, **FAST)
    with pytest.raises(TextError, match="lacks: 'z'.*unknown_symbols=skip"):
        strict.synthesize("Zebra zone.")


@pytest.mark.parametrize("text", ["", "   ", "😀🎉", "\u200b"])
def test_empty_or_unspeakable_text_is_a_text_error(synthesizer, text):
    with pytest.raises(TextError):
        synthesizer.synth(text)


def test_speakers_by_name_or_id_with_clear_errors(tmp_path, synthesizer):
    speakers = {"ann": 0, "bob": 1, "cy": 2}
    multi = Synthesizer.from_checkpoint(
        write_checkpoint(tmp_path / "multi.pt", speakers=speakers), **FAST
    )
    assert multi.speakers == speakers and multi.default_speaker == 0
    text = "Who is speaking?"
    by_name = multi.mel(text, speaker="bob")
    np.testing.assert_array_equal(by_name, multi.mel(text, speaker=1))
    np.testing.assert_array_equal(by_name, multi.mel(text, speaker="1"))
    default = multi.mel(text)
    np.testing.assert_array_equal(default, multi.mel(text, speaker="ann"))
    assert default.shape != by_name.shape or not np.allclose(default, by_name)
    with pytest.raises(SynthesisError, match=r"unknown speaker 'zed'.*ann \(0\), bob \(1\)"):
        multi.synth(text, speaker="zed")
    with pytest.raises(SynthesisError, match="unknown speaker 7"):
        multi.synth(text, speaker=7)
    with pytest.raises(SynthesisError, match="unknown speaker '²'"):  # a digit, not ASCII
        multi.synth(text, speaker="²")
    # Single-speaker model: its own name is fine, anything else is explained.
    assert synthesizer.speaker_id("joe") is None and synthesizer.speaker_id(None) is None
    with pytest.raises(SynthesisError, match="single speaker"):
        synthesizer.synth(text, speaker="ann")


def test_onnx_runtime_resolves_speakers_and_checks_controls_as_the_synthesizer(tmp_path):
    from fastspeak.export import export_onnx
    from fastspeak.runtime import OnnxVoice

    speakers = {"ann": 0, "bob": 1, "cy": 2}
    checkpoint = write_checkpoint(tmp_path / "multi.pt", speakers=speakers)
    multi = Synthesizer.from_checkpoint(checkpoint, **FAST)
    voice = OnnxVoice(export_onnx(checkpoint, tmp_path / "onnx"))
    text = "Who is speaking?"
    for speaker in ("bob", 1, "1", None):
        np.testing.assert_allclose(
            voice.mel(text, speaker=speaker), multi.mel(text, speaker=speaker), atol=1e-3
        )
    assert not np.allclose(voice.mel(text, speaker=2), voice.mel(text, speaker=1))
    for speaker, message in (("zed", "unknown speaker 'zed'"), (7, "unknown speaker 7")):
        with pytest.raises(SynthesisError, match=message):
            voice.mel(text, speaker=speaker)
    for controls, message in (
        ({"speed": math.inf}, "speed must be a finite number"),
        ({"pitch_semitones": math.nan}, "pitch_semitones must be a finite number"),
        ({"energy_db": -math.inf}, "energy_db must be a finite number"),
        ({"speed": 0.0}, r"speed must be within 0.25..4 \(got 0.0\)"),
        ({"speed": 100.0}, r"speed must be within 0.25..4"),
        ({"pitch_semitones": 13.0}, r"pitch_semitones must be within -12..12"),
        ({"energy_db": -21}, r"energy_db must be within -20..20"),
    ):
        for synthesis in (voice.mel, multi.mel):
            with pytest.raises(SynthesisError, match=message):
                synthesis(text, **controls)


def test_stream_yields_each_sentence_even_a_repeated_one(synthesizer):
    text = "Say it again. Say it again. And " + "on and " * 60 + "until the end."
    prepared = synthesizer.prepare(text)
    assert [chunk.sentence_index for chunk in prepared.chunks][:2] == [0, 1]
    sentences = len({chunk.sentence_index for chunk in prepared.chunks})
    assert sentences == 3 < len(prepared.chunks)  # the long one is cut, but streams whole
    pieces = list(synthesizer.stream(text))
    assert len(pieces) == 3 and len(pieces[0]) == len(pieces[1])
    whole, _ = synthesizer.synth(text)
    assert sum(len(piece) for piece in pieces) == len(whole)


def test_manifest_mels_speak_each_utterance_as_its_speaker(tmp_path):
    """`synthesize --sentences test.jsonl --mels-out` with a multi-speaker model: each mel is
    the one its manifest speaker gives (batches are made per speaker)."""
    from fastspeak.synthesis import synthesize_manifest_mels

    speakers = {"ann": 0, "bob": 1, "cy": 2}
    checkpoint = write_checkpoint(tmp_path / "multi.pt", speakers=speakers)
    multi = Synthesizer.from_checkpoint(checkpoint, **FAST)
    texts = ["who is it", "it is me", "and you", "me again"]
    entries = [
        {
            "id": f"u{index}",
            "text": text,
            "tokens": [token for chunk in multi.prepare(text).chunks for token in chunk.tokens],
            "speaker": speaker,
        }
        for index, (text, speaker) in enumerate(
            zip(texts, ["bob", "ann", "cy", "bob"], strict=True)
        )
    ]
    manifest = tmp_path / "test.jsonl"
    manifest.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    out = synthesize_manifest_mels(checkpoint, manifest, tmp_path / "mels.npz", batch_size=2,
                                   progress=False)  # fmt: skip
    with np.load(out) as archive:
        for entry in entries:
            expected = multi.mel(entry["text"], speaker=entry["speaker"])
            other = multi.mel(entry["text"], speaker="ann" if entry["speaker"] != "ann" else "cy")
            got = archive[entry["id"]].astype(np.float32)
            np.testing.assert_allclose(got, expected, atol=2e-2, rtol=1e-2)
            assert got.shape != other.shape or not np.allclose(got, other, atol=2e-2)


def test_ema_weights_are_used_when_present(tmp_path):
    path = write_checkpoint(tmp_path / "ema.pt", ema_seed=5)
    with_ema = Synthesizer.from_checkpoint(path, **FAST)
    without = Synthesizer.from_checkpoint(path, use_ema=False, **FAST)
    _, reference = tiny_model(with_ema.vocab, seed=5)
    for name, tensor in reference.state_dict().items():
        torch.testing.assert_close(with_ema.model.state_dict()[name], tensor)
    assert not torch.equal(
        with_ema.model.token_embedding.weight, without.model.token_embedding.weight
    )


def test_checkpoint_errors_are_clear(tmp_path, checkpoint):
    with pytest.raises(CheckpointError, match="does not exist"):
        Synthesizer.from_checkpoint(tmp_path / "missing.pt")
    garbage = tmp_path / "garbage.pt"
    for seed in range(20):  # torch.load fails on random bytes with many exception types
        garbage.write_bytes(np.random.default_rng(seed).bytes(2048))
        with pytest.raises(CheckpointError, match="cannot read checkpoint"):
            Synthesizer.from_checkpoint(garbage)
    garbage.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        Synthesizer.from_checkpoint(garbage)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(checkpoint.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        Synthesizer.from_checkpoint(truncated)
    state = torch.load(checkpoint, weights_only=False)
    del state["vocab"]
    save_checkpoint(tmp_path / "novocab.pt", state)
    with pytest.raises(CheckpointError, match="lacks vocab"):
        Synthesizer.from_checkpoint(tmp_path / "novocab.pt")
    state = torch.load(checkpoint, weights_only=False)
    state["config"]["model"]["hidden"] = 64
    save_checkpoint(tmp_path / "mismatch.pt", state)
    with pytest.raises(CheckpointError, match="do not fit"):
        Synthesizer.from_checkpoint(tmp_path / "mismatch.pt")


def test_write_outputs_wav_and_png(tmp_path, synthesizer):
    result = synthesizer.synthesize("Pictures too.")
    written = write_outputs(result.wav, result.sample_rate, tmp_path / "a" / "out.wav", result.mel)
    assert written == [tmp_path / "a" / "out.wav", tmp_path / "a" / "out.png"]
    assert written[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    only_wav = write_outputs(result.wav, result.sample_rate, tmp_path / "b.wav")
    assert only_wav == [tmp_path / "b.wav"] and not (tmp_path / "b.png").exists()


def test_synthesize_command_text_and_file_of_lines(tmp_path, checkpoint):
    out = tmp_path / "hello.wav"
    assert synthesize_command(checkpoint, text="Hello there.", out=out, progress=False) == [out]
    wav, sample_rate = soundfile.read(out)
    assert sample_rate == SAMPLE_RATE and len(wav) > 0
    assert out.with_suffix(".png").is_file()

    lines = tmp_path / "lines.txt"
    lines.write_text("First line.\n\nSecond line, with a comma!\nThird?\n", encoding="utf-8")
    folder = tmp_path / "many"
    paths = synthesize_command(
        checkpoint, text_file=lines, out=folder, speed=1.2, batch_size=2, progress=False
    )
    assert paths == [folder / "0001.wav", folder / "0003.wav", folder / "0004.wav"]
    for path in paths:
        wav, sample_rate = soundfile.read(path, dtype="float32")
        assert sample_rate == SAMPLE_RATE and len(wav) > HOP
        assert path.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"

    bad = tmp_path / "bad.txt"
    bad.write_text("Fine.\n😀\n", encoding="utf-8")
    with pytest.raises(TextError, match=r"bad.txt:2: "):
        synthesize_command(checkpoint, text_file=bad, out=tmp_path / "x", progress=False)
    assert not (tmp_path / "x").exists()  # nothing is written when a line is bad
    with pytest.raises(SynthesisError, match="exactly one"):
        synthesize_command(checkpoint, text="a", text_file=lines, out=out)
    with pytest.raises(SynthesisError, match="unknown speaker"):
        synthesize_command(checkpoint, text="a", out=out, speaker="nobody")


def test_numeric_speaker_names_win_over_ids():
    """LibriTTS names speakers by numbers: 26 and "26" both mean the speaker named 26 (id 18
    here, ids following the names' sorted order), as the CLI's --speaker 26 did; an id is
    meant only where no speaker has that name."""
    from fastspeak.controls import resolve_speaker

    names = sorted(str(n) for n in (103, 1034, 1040, 1069, 1081, 19, 1088, 1098, 1116, 118, 1183,
                                    1235, 1246, 125, 1263, 1334, 1355, 1363, 26, 27))  # fmt: skip
    speakers = {name: index for index, name in enumerate(names)}
    assert speakers["26"] == 18
    assert resolve_speaker(26, speakers, len(speakers)) == 18
    assert resolve_speaker("26", speakers, len(speakers)) == 18
    assert resolve_speaker(" 26", speakers, len(speakers)) == 18
    assert resolve_speaker(3, speakers, len(speakers)) == 3  # no speaker is named 3: id 3
