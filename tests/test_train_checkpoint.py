"""Checkpoints: round trip, atomic writes, milestones, clear mismatch errors, fine-tune loading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from fastspeak.config import ModelConfig
from fastspeak.models import FastSpeech2
from fastspeak.text.vocab import Vocabulary
from fastspeak.train.checkpoint import (
    Checkpointer,
    CheckpointError,
    load_checkpoint,
    load_matching_weights,
    restore_model,
    resume_position,
    save_checkpoint,
)

VOCAB = Vocabulary(["a", "b", "c", "d"], "characters")
SPEAKERS = {"alice": 0, "bob": 1}


def tiny_model(seed: int, vocab_size: int = len(VOCAB), n_speakers: int = 2) -> FastSpeech2:
    torch.manual_seed(seed)
    config = ModelConfig(
        vocab_size=vocab_size, n_speakers=n_speakers, n_mels=8, hidden=16, encoder_layers=1,
        decoder_layers=1, conv_filter_size=32, postnet_layers=1, postnet_channels=16,
    )  # fmt: skip
    return FastSpeech2(config)


def inputs() -> tuple[torch.Tensor, ...]:
    tokens = torch.tensor([[2, 3, 4, 5], [3, 2, 0, 0]])
    return tokens, torch.tensor([4, 2]), torch.tensor([0, 1])


def state_for(model: FastSpeech2, vocab: Vocabulary = VOCAB, speakers=SPEAKERS) -> dict:
    return {
        "kind": "fastspeech2",
        "model": model.state_dict(),
        "step": 7,
        "vocab": vocab.to_dict(),
        "speakers": speakers,
    }


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = tiny_model(seed=1).eval()
    path = save_checkpoint(tmp_path / "run" / "latest.pt", state_for(model))
    checkpoint = load_checkpoint(path)
    assert checkpoint["format"] == "fastspeak-checkpoint" and checkpoint["step"] == 7
    assert all(t.device.type == "cpu" for t in checkpoint["model"].values())
    restored = tiny_model(seed=2).eval()
    tokens, lengths, speakers = inputs()
    assert not torch.equal(
        model.infer(tokens, lengths, speakers).mels, restored.infer(tokens, lengths, speakers).mels
    )
    restore_model(checkpoint, restored, VOCAB, SPEAKERS, strict=True)
    assert torch.equal(
        model.infer(tokens, lengths, speakers).mels_postnet,
        restored.infer(tokens, lengths, speakers).mels_postnet,
    )


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path, monkeypatch) -> None:
    model = tiny_model(seed=1)
    path = tmp_path / "latest.pt"
    save_checkpoint(path, state_for(model))
    save_checkpoint(path, {**state_for(model), "step": 8})
    assert os.listdir(tmp_path) == ["latest.pt"]
    assert path.stat().st_mode & 0o777 == 0o644  # readable by a server running as another user

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {**state_for(model), "step": 9})
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["latest.pt"]
    assert load_checkpoint(path)["step"] == 8  # the previous checkpoint is intact


class CtrlC:
    """Pickling it raises KeyboardInterrupt: a Ctrl-C that lands while torch.save writes."""

    def __reduce__(self):
        raise KeyboardInterrupt


def test_ctrl_c_during_a_save_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    """A second Ctrl-C while the interrupted trainer saves: the old latest.pt stays whole."""
    model = tiny_model(seed=1)
    path = tmp_path / "latest.pt"
    save_checkpoint(path, state_for(model))
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {**state_for(model), "step": 9, "ema": CtrlC()})
    assert os.listdir(tmp_path) == ["latest.pt"]
    assert load_checkpoint(path)["step"] == 7


def test_checkpointer_keeps_milestones(tmp_path: Path) -> None:
    checkpointer = Checkpointer(tmp_path, save_interval=2, milestone_interval=4)
    for step in range(1, 10):
        if checkpointer.due(step, force=step == 9):
            checkpointer.save(step, {"step": step})
    names = sorted(os.listdir(tmp_path / "checkpoints"))
    assert names == ["latest.pt", "step_000000004.pt", "step_000000008.pt"]
    assert load_checkpoint(checkpointer.latest)["step"] == 9


def test_vocab_mismatch_is_explained(tmp_path: Path) -> None:
    checkpoint = state_for(tiny_model(seed=1))
    data_vocab = Vocabulary(["a", "b", "c", "d", "e"], "characters")
    with pytest.raises(CheckpointError) as error:
        restore_model(checkpoint, tiny_model(seed=1, vocab_size=len(data_vocab)), data_vocab)
    message = str(error.value)
    assert "vocabulary mismatch" in message and "new in the data: e" in message
    assert "--init-from" in message


def test_speaker_mismatch_is_explained() -> None:
    checkpoint = state_for(tiny_model(seed=1))
    with pytest.raises(CheckpointError) as error:
        restore_model(checkpoint, tiny_model(seed=1, n_speakers=3), VOCAB, {**SPEAKERS, "eve": 2})
    message = str(error.value)
    assert "speaker mismatch" in message and "'eve'" in message and "--init-from" in message


def test_not_a_checkpoint(tmp_path: Path) -> None:
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a fastspeak training checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_load_matching_weights_reports_skipped() -> None:
    source = tiny_model(seed=1)
    target = tiny_model(seed=2, vocab_size=len(VOCAB) + 3, n_speakers=0)
    report = load_matching_weights(target, source.state_dict())
    assert "token_embedding.weight" in report.skipped
    assert "shape" in report.skipped["token_embedding.weight"]
    assert report.skipped["speaker_embedding.weight"] == "not in this model"
    assert "token_embedding.weight" not in report.loaded
    for name in report.loaded:
        assert torch.equal(target.state_dict()[name], source.state_dict()[name])
    assert len(report.loaded) > 20 and "skipped token_embedding.weight" in report.summary()


def test_resume_position_keeps_the_epoch_only_for_the_same_batch_order() -> None:
    order = {"processes": 4, "batch_size": 16, "seed": 1}
    checkpoint = {"epoch": 3, "batch_in_epoch": 10, "batch_order": order}
    assert resume_position(checkpoint, order) == (3, 10, None)
    epoch, batch, note = resume_position(checkpoint, {**order, "processes": 2})
    assert (epoch, batch) == (4, 0) and note is not None and "processes 4 -> 2" in note
    at_boundary = {**checkpoint, "batch_in_epoch": 0}
    assert resume_position(at_boundary, {**order, "batch_size": 8}) == (3, 0, None)
    older = {"epoch": 3, "batch_in_epoch": 10}  # saved before batch_order existed
    assert resume_position(older, {**order, "batch_size": 8}) == (3, 10, None)
