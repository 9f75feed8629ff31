"""Joint training (``train.durations: learned``): FastSpeech 2 and FastSpeech on durations
their aligner learns as they train."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fastspeak.aligners.joint import JointAlignment
from fastspeak.config import Config, ConfigError, load_config
from fastspeak.data.batch import collate
from fastspeak.data.dataset import FeatureDataset, load_feature_dir
from fastspeak.models.registry import model_spec
from fastspeak.synthesis import Synthesizer
from fastspeak.train.checkpoint import load_checkpoint
from fastspeak.train.loop import train

CONFIGS = Path(__file__).parent.parent / "configs" / "piper_joe"


def joint_config(*overrides: str) -> Config:
    base = [
        "train.durations=learned",
        "train.num_workers=0",
        "train.progress=false",
        "train.batch_size=4",
        "train.save_interval=0",
        "train.milestone_interval=0",
        "train.val_interval=4",
        "train.plot_interval=1000",
        "train.log_interval=2",
        "align.text_channels=16",
        "align.attention_channels=8",
        "align.binarization_start_step=3",
        "align.binarization_warmup_steps=0",
    ]
    return load_config(CONFIGS / "fastspeech2_tiny.yaml", [*base, *overrides])


@pytest.fixture(scope="module")
def frame_level_featdir(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fastspeak.data.preprocess import preprocess

    config = load_config(
        CONFIGS / "fastspeech2.yaml",
        ["features.pitch_level=frame", "features.energy_level=frame"],
    )
    out = tmp_path_factory.mktemp("joint") / "feat"
    preprocess(config, piper_featdir.parent / "corpus", out, workers=1, progress=False)
    return out


def test_joint_alignment_replaces_durations_and_trains_both(frame_level_featdir: Path) -> None:
    config = joint_config("model.pitch_level=frame", "model.energy_level=frame")
    vocab, speakers, stats = load_feature_dir(frame_level_featdir)
    config.model.vocab_size = len(vocab)
    dataset = FeatureDataset(frame_level_featdir, "train", vocab, speakers)
    batch = collate([dataset[index] for index in range(3)])
    torch.manual_seed(0)
    joint = JointAlignment(config)
    spec = model_spec("fastspeech2")
    model = spec.build(config.model, stats)
    aligned, align_loss, terms = joint(batch, step=5)
    assert torch.equal(aligned.durations.sum(1), batch.mel_lengths)
    assert not torch.equal(aligned.durations, batch.durations)  # untrained: not the teacher's
    assert torch.equal(aligned.mels, batch.mels) and aligned.ids == batch.ids
    assert set(terms) == {"align_forward_sum", "align_binarization", "align_binarization_weight"}
    output = model(**spec.inputs_from(aligned))
    assert torch.equal(output.durations, aligned.durations)
    total, _ = spec.loss(config.model)(aligned, output)
    (total + align_loss).backward()
    for module in (model.token_embedding, joint.aligner.token_embedding, joint.aligner.mel_encoder):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


def test_fastspeech2_trains_jointly_and_resumes(frame_level_featdir: Path, tmp_path: Path) -> None:
    config = joint_config("model.pitch_level=frame", "model.energy_level=frame")
    run = tmp_path / "run"
    first = train(config, frame_level_featdir, run, max_steps=4)
    assert all(torch.isfinite(torch.tensor(first["losses"])))
    checkpoint = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert checkpoint["aligner"] and "token_embedding.weight" in checkpoint["aligner"]
    log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    train_lines = [line for line in log if line["split"] == "train"]
    assert all("align_forward_sum" in line for line in train_lines)
    assert train_lines[-1]["align_binarization_weight"] == 1.0
    assert any(line["split"] == "val" and "align_forward_sum" not in line for line in log)
    # resuming restores the aligner (exactly the same steps as one straight run)
    straight = train(config, frame_level_featdir, tmp_path / "straight", max_steps=6)
    resumed = train(config, frame_level_featdir, run, resume=True, max_steps=6)
    assert first["losses"] + resumed["losses"] == straight["losses"]
    # the shipped model needs no aligner
    synthesizer = Synthesizer.from_checkpoint(run / "checkpoints" / "latest.pt")
    wav, _ = synthesizer.synth("Open the door.")
    assert len(wav) > 0


def test_fastspeech_trains_jointly_on_phoneme_level_data(
    piper_featdir: Path, tmp_path: Path
) -> None:
    config = load_config(
        CONFIGS / "fastspeech.yaml",
        [
            "train.durations=learned",
            "train.num_workers=0",
            "train.progress=false",
            "train.batch_size=4",
            "train.val_interval=1000",
            "model.hidden=16",
            "model.attention_heads=2",
            "model.encoder_layers=1",
            "model.decoder_layers=1",
            "model.conv_filter_size=32",
            "model.fastspeech.postnet=none",
            "model.fastspeech.duration_filter_size=16",
            "align.text_channels=16",
            "align.attention_channels=8",
        ],
    )
    result = train(config, piper_featdir, tmp_path / "fs", max_steps=3)
    assert result["step"] == 3 and all(torch.isfinite(torch.tensor(result["losses"])))


def test_joint_training_refuses_phoneme_level_pitch(piper_featdir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="features.pitch_level=frame"):
        train(joint_config(), piper_featdir, tmp_path / "run", max_steps=1)
    with pytest.raises(ConfigError, match="train.durations must be one of"):
        load_config(None, ["train.durations=mfa"])


def test_joint_training_refuses_transition_tokens(
    frame_level_featdir: Path, tmp_path: Path
) -> None:
    """A transition state needs 2N-1 frames; joint training has no way to leave short
    utterances out, so the combination is refused before any step."""
    config = joint_config(
        "model.pitch_level=frame", "model.energy_level=frame", "align.transition_tokens=true"
    )
    with pytest.raises(ConfigError, match="align.transition_tokens"):
        train(config, frame_level_featdir, tmp_path / "run", max_steps=1)


def test_distill_on_placeholder_durations_follows_the_checkpoints_aligner(
    piper_featdir: Path,
    frame_level_featdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model trained jointly on a --no-alignments FEATDIR: teacher-forced distill/gta take
    its aligner's durations (they followed the even placeholders); a checkpoint without an
    aligner is refused."""
    import numpy as np

    from fastspeak.data.distill import DistillError, distill
    from fastspeak.data.preprocess import preprocess

    features = ["features.pitch_level=frame", "features.energy_level=frame"]
    placeholder = tmp_path / "placeholder"
    preprocess(load_config(CONFIGS / "fastspeech2.yaml", features), piper_featdir.parent /
               "corpus", placeholder, workers=1, progress=False, placeholder_durations=True)  # fmt: skip
    config = joint_config("model.pitch_level=frame", "model.energy_level=frame")
    train(config, placeholder, tmp_path / "run", max_steps=2)
    checkpoint = tmp_path / "run" / "checkpoints" / "latest.pt"
    report = distill(checkpoint, placeholder, tmp_path / "out", progress=False)
    assert report["distillation"]["durations"] == "the checkpoint's aligner"
    assert "durations" not in json.loads((tmp_path / "out" / "stats.json").read_text())
    vocab, speakers, _ = load_feature_dir(placeholder)
    dataset = FeatureDataset(placeholder, "train", vocab, speakers)
    joint = JointAlignment(load_checkpoint_config(checkpoint))
    joint.load_weights(load_checkpoint(checkpoint)["aligner"])
    for index in range(3):
        item = dataset[index]
        expected = joint.durations_for(collate([item])).durations[0].numpy()
        entry = dataset.entries[index]
        with np.load(tmp_path / "out" / "distilled" / f"{entry['id']}.npz") as data:
            assert data["durations"].tolist() == expected.tolist()
            assert data["durations"].tolist() != item["durations"].tolist()  # not the even ones
    plain = load_config(CONFIGS / "fastspeech2_tiny.yaml", ["train.num_workers=0",
                        "train.progress=false", "model.pitch_level=frame",
                        "model.energy_level=frame"])  # fmt: skip
    train(plain, frame_level_featdir, tmp_path / "plain", max_steps=1)
    with pytest.raises(DistillError, match="placeholder durations"):
        distill(tmp_path / "plain" / "checkpoints" / "latest.pt", placeholder, tmp_path / "x",
                progress=False)  # fmt: skip
    # gta refuses before its (long) audio-span pass
    from fastspeak.data import gta

    def no_spans(*args: object) -> None:
        raise AssertionError("the audio spans were read before the refusal")

    monkeypatch.setattr(gta, "audio_spans", no_spans)
    with pytest.raises(DistillError, match="placeholder durations"):
        gta.write_gta(tmp_path / "plain" / "checkpoints" / "latest.pt", placeholder,
                      tmp_path / "gta", progress=False)  # fmt: skip


def load_checkpoint_config(path: Path) -> Config:
    from fastspeak.config import config_from_dict

    return config_from_dict(load_checkpoint(path)["config"])
