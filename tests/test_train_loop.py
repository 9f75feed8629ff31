"""The FastSpeech 2 training loop on a real (tiny) piper FEATDIR, on CPU."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from fastspeak.config import Config, ConfigError, load_config
from fastspeak.data.dataset import FeatureDataset, load_feature_dir
from fastspeak.data.sampler import LengthBucketSampler
from fastspeak.train.checkpoint import CheckpointError, load_checkpoint
from fastspeak.train.loop import train

TINY = Path(__file__).parent.parent / "configs" / "piper_joe" / "fastspeech2_tiny.yaml"


def tiny_config(*overrides: str) -> Config:
    base = [
        "train.num_workers=0",
        "train.progress=false",
        "train.batch_size=4",
        "train.save_interval=0",
        "train.milestone_interval=0",
        "train.val_interval=1000",
        "train.plot_interval=1000",
        "train.log_interval=5",
    ]
    return load_config(TINY, [*base, *overrides])


def assert_same_state(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for name in first:
        assert torch.equal(first[name], second[name]), name


@pytest.mark.parametrize("accumulation", [1, 2])
def test_resume_is_exact(piper_featdir: Path, tmp_path: Path, accumulation: int) -> None:
    """2N steps in one go == N steps, save, resume, N more (dropout on, EMA on, epochs cross)."""
    config = tiny_config(f"train.grad_accumulation={accumulation}", "train.ema=true")
    steps = 4
    straight = train(config, piper_featdir, tmp_path / "straight", max_steps=2 * steps)
    first = train(config, piper_featdir, tmp_path / "resumed", max_steps=steps)
    assert first["checkpoint"] == tmp_path / "resumed" / "checkpoints" / "latest.pt"
    second = train(config, piper_featdir, tmp_path / "resumed", resume=True, max_steps=2 * steps)
    assert second["step"] == straight["step"] == 2 * steps
    assert second["epoch"] == straight["epoch"] >= 1
    assert first["losses"] + second["losses"] == straight["losses"]
    assert_same_state(straight["model"].state_dict(), second["model"].state_dict())
    one = load_checkpoint(tmp_path / "straight" / "checkpoints" / "latest.pt")
    two = load_checkpoint(tmp_path / "resumed" / "checkpoints" / "latest.pt")
    assert_same_state(
        {k: v for k, v in one["ema"].items() if torch.is_tensor(v)},
        {k: v for k, v in two["ema"].items() if torch.is_tensor(v)},
    )
    for a, b in zip(
        one["optimizer"]["state"].values(), two["optimizer"]["state"].values(), strict=True
    ):
        assert_same_state(a, b)
    assert one["batch_in_epoch"] == two["batch_in_epoch"]
    assert one["optimizer"]["param_groups"][0]["lr"] == two["optimizer"]["param_groups"][0]["lr"]


def test_resume_with_another_batch_order_starts_the_next_epoch(
    piper_featdir: Path, tmp_path: Path
) -> None:
    """Cut mid-epoch, a resume with another batch size would repeat or skip utterances of that
    epoch: it starts the next one instead; with the same settings it continues the epoch."""
    config = tiny_config("train.batch_size=2")
    first = train(config, piper_featdir, tmp_path / "run", max_steps=1)
    saved = load_checkpoint(first["checkpoint"])
    assert (saved["epoch"], saved["batch_in_epoch"]) == (0, 1)
    assert saved["batch_order"]["batch_size"] == 2 and saved["batch_order"]["processes"] == 1
    shutil.copytree(tmp_path / "run", tmp_path / "same")
    other = train(tiny_config("train.batch_size=3"), piper_featdir, tmp_path / "run",
                  resume=True, max_steps=2)  # fmt: skip
    resumed = load_checkpoint(other["checkpoint"])
    assert (resumed["epoch"], resumed["batch_in_epoch"]) == (1, 1)
    assert resumed["batch_order"]["batch_size"] == 3
    same = train(config, piper_featdir, tmp_path / "same", resume=True, max_steps=2)
    assert (load_checkpoint(same["checkpoint"])["epoch"], same["epoch"]) == (0, 0)


def test_checkpoint_contents_and_run_files(piper_featdir: Path, tmp_path: Path) -> None:
    config = tiny_config("train.val_interval=2", "train.plot_interval=2", "train.save_interval=2")
    result = train(config, piper_featdir, tmp_path / "run", max_steps=3)
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")
    vocab, speakers, stats = load_feature_dir(piper_featdir)
    assert checkpoint["step"] == 3 and checkpoint["kind"] == "fastspeech2"
    assert checkpoint["vocab"] == vocab.to_dict() and checkpoint["speakers"] == speakers
    assert checkpoint["stats"]["pitch"]["mean"] == stats["pitch"]["mean"]
    model_config = checkpoint["config"]["model"]
    assert model_config["vocab_size"] == len(vocab) and model_config["n_speakers"] == 0
    assert model_config["variance"]["pitch_mean"] == pytest.approx(stats["pitch"]["mean"])
    assert checkpoint["scaler"] is None and checkpoint["ema"] is None
    assert result["val"] is not None and math.isfinite(result["val"]["total"])
    records = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").open()]
    train_record = next(r for r in records if r["split"] == "train")
    for key in ("mel", "postnet_mel", "pitch", "energy", "duration", "learning_rate"):
        assert key in train_record
    assert train_record["frames_per_second"] > 0
    assert any(r["split"] == "val" for r in records)
    events = list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 10000  # scalars and a mel figure
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(events[0]), size_guidance={"audio": 0, "images": 0})
    accumulator.Reload()
    assert "val/audio" in accumulator.Tags()["audio"] and "val/mel" in accumulator.Tags()["images"]
    assert {"train/mel", "train/learning_rate", "val/total"} <= set(accumulator.Tags()["scalars"])
    # an existing run is never overwritten silently
    with pytest.raises(CheckpointError, match="--resume"):
        train(config, piper_featdir, tmp_path / "run", max_steps=4)


def test_nan_guard_skips_poisoned_step(piper_featdir: Path, tmp_path: Path) -> None:
    feat_dir = tmp_path / "feat"
    shutil.copytree(piper_featdir, feat_dir)
    vocab, speakers, _ = load_feature_dir(feat_dir)
    dataset = FeatureDataset(feat_dir, "train", vocab, speakers)
    config = tiny_config("train.batch_size=1")
    order = LengthBucketSampler(dataset.frames, 1, seed=config.train.seed).epoch_batches(0)
    bad_step = 3  # steps count from 1: the third item of epoch 0
    (poisoned,) = order[bad_step - 1]
    path = feat_dir / dataset.entries[poisoned]["features"]
    arrays = dict(np.load(path))
    arrays["mels"][5, :] = np.inf
    np.savez(path, **arrays)

    before = train(config, feat_dir, tmp_path / "before", max_steps=bad_step - 1)
    at = train(config, feat_dir, tmp_path / "at", max_steps=bad_step)
    assert before["skipped_steps"] == 0 and at["skipped_steps"] == 1
    assert not math.isfinite(at["losses"][-1])
    assert_same_state(before["model"].state_dict(), at["model"].state_dict())
    after = train(config, feat_dir, tmp_path / "at", resume=True, max_steps=bad_step + 2)
    assert after["skipped_steps"] == 1
    assert all(torch.isfinite(p).all() for p in after["model"].parameters())
    assert all(math.isfinite(loss) for loss in after["losses"])


def test_loss_decreases(piper_featdir: Path, tmp_path: Path) -> None:
    config = tiny_config("train.warmup_steps=10", "train.learning_rate=0.003")
    result = train(config, piper_featdir, tmp_path / "run", max_steps=30)
    losses = result["losses"]
    assert len(losses) == 30 and result["skipped_steps"] == 0
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])


def test_cpu_bf16_autocast_is_finite(piper_featdir: Path, tmp_path: Path) -> None:
    config = tiny_config("train.amp=true", "train.warmup_steps=2")
    result = train(config, piper_featdir, tmp_path / "run", max_steps=3)
    assert result["skipped_steps"] == 0 and all(math.isfinite(x) for x in result["losses"])
    assert all(torch.isfinite(p).all() for p in result["model"].parameters())
    assert all(p.dtype == torch.float32 for p in result["model"].parameters())


def test_fine_tune_and_resume_on_other_vocabulary(piper_featdir: Path, tmp_path: Path) -> None:
    config = tiny_config()
    train(config, piper_featdir, tmp_path / "base", max_steps=1)
    base = tmp_path / "base" / "checkpoints" / "latest.pt"
    feat_dir = tmp_path / "feat"
    shutil.copytree(piper_featdir, feat_dir)
    vocab = json.loads((feat_dir / "vocab.json").read_text())
    vocab["symbols"].append("ʔ")
    (feat_dir / "vocab.json").write_text(json.dumps(vocab))
    stats = json.loads((feat_dir / "stats.json").read_text())
    stats["pitch"].update(mean=stats["pitch"]["mean"] + 40.0, max=stats["pitch"]["max"] + 100.0)
    (feat_dir / "stats.json").write_text(json.dumps(stats))  # another corpus' pitch
    # --resume with a different vocabulary: a clear error pointing at --init-from
    shutil.copytree(tmp_path / "base", tmp_path / "copy")
    with pytest.raises(CheckpointError, match=r"vocabulary mismatch.*ʔ.*--init-from"):
        train(config, feat_dir, tmp_path / "copy", resume=True, max_steps=2)
    # --init-from takes the checkpoint's architecture: another one asked for is refused
    with pytest.raises(
        ConfigError, match=r"--init-from .*model.hidden=32 \(the checkpoint has 64\)"
    ):
        train(tiny_config("model.hidden=32"), feat_dir, tmp_path / "other", init_from=base)
    assert not (tmp_path / "other").exists()
    # and copies every weight whose shape still fits (the embeddings grow with the vocabulary)
    tuned = train(config, feat_dir, tmp_path / "tuned", init_from=base, max_steps=1)
    state, source = tuned["model"].state_dict(), load_checkpoint(base)["model"]
    assert state["token_embedding.weight"].shape[0] == len(vocab["symbols"])
    assert tuned["model"].config.hidden == 64
    assert state["mel_linear.weight"].shape == source["mel_linear.weight"].shape
    # the weights come from the source, the statistics from this data (as the checkpoint says)
    pitch = tuned["model"].variance_adaptor.pitch
    assert float(pitch.mean) == pytest.approx(stats["pitch"]["mean"])
    assert float(pitch.maximum) == pytest.approx(stats["pitch"]["max"])
    assert float(source["variance_adaptor.pitch.mean"]) != pytest.approx(stats["pitch"]["mean"])
    saved = load_checkpoint(tmp_path / "tuned" / "checkpoints" / "latest.pt")
    assert saved["stats"]["pitch"]["mean"] == pytest.approx(float(pitch.mean))
    # a new symbol first in the list moves every id: each symbol keeps its own row
    vocab["symbols"].insert(2, vocab["symbols"].pop())  # after <pad>, <unk>
    (feat_dir / "vocab.json").write_text(json.dumps(vocab))
    still = tiny_config("train.schedule=constant", "train.learning_rate=1e-12",
                        "train.warmup_steps=0")  # fmt: skip
    moved = train(still, feat_dir, tmp_path / "moved", init_from=base, max_steps=1)
    rows = moved["model"].state_dict()["token_embedding.weight"]
    source_rows = source["token_embedding.weight"]
    source_ids = {s: i for i, s in enumerate(load_checkpoint(base)["vocab"]["symbols"])}
    assert vocab["symbols"][2] == "ʔ" and "ʔ" not in source_ids  # new: its own initial row
    for index, symbol in enumerate(vocab["symbols"][3:], start=3):
        torch.testing.assert_close(rows[index], source_rows[source_ids[symbol]], atol=1e-6, rtol=0)


def test_rows_by_name_keep_each_speakers_embedding() -> None:
    """Fine-tuning on a speaker set in another order (a renamed speaker sorts elsewhere):
    each known speaker keeps its row, a new one its initial row (by position, speakers got
    each other's voices)."""
    from torch import nn

    from fastspeak.train.checkpoint import rows_by_name

    model = nn.Module()
    model.speaker_embedding = nn.Embedding(3, 4)
    initial = model.speaker_embedding.weight.detach().clone()
    source_rows = torch.arange(12.0).reshape(3, 4)
    weights = {"speaker_embedding.weight": source_rows.clone()}
    source, target = {"awb": 0, "rms": 1, "slt": 2}, {"rms": 0, "slt": 1, "zzz": 2}
    mapped = rows_by_name(weights, model, {"speaker_embedding.weight": (source, target)})
    table = weights["speaker_embedding.weight"]
    torch.testing.assert_close(table[0], source_rows[1])  # rms
    torch.testing.assert_close(table[1], source_rows[2])  # slt
    torch.testing.assert_close(table[2], initial[2])  # zzz is new
    assert mapped == {"speaker_embedding.weight": "2 of 3 rows by name, 1 new"}


def test_level_mismatch_is_a_config_error(piper_featdir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model.pitch_level=frame"):
        train(tiny_config("model.pitch_level=frame"), piper_featdir, tmp_path / "run", max_steps=1)


def test_max_minutes_stops_saves_and_resumes(piper_featdir: Path, tmp_path: Path) -> None:
    """A wall-clock limit ends the run at a step boundary with a checkpoint; resume goes on."""
    config = tiny_config("train.save_interval=1000")
    first = train(config, piper_featdir, tmp_path / "run", max_steps=50, max_minutes=0.0)
    assert first["step"] == 1
    assert first["checkpoint"] == tmp_path / "run" / "checkpoints" / "latest.pt"
    assert load_checkpoint(first["checkpoint"])["step"] == 1
    second = train(config, piper_featdir, tmp_path / "run", resume=True, max_steps=3)
    assert second["step"] == 3


def test_init_from_starts_at_the_source_ema_weights(piper_featdir: Path, tmp_path: Path) -> None:
    """Fine-tuning starts from the weights synthesis and evaluation used: the EMA copy."""
    from fastspeak.train.checkpoint import model_weights

    train(tiny_config("train.ema=true", "train.ema_decay=0.5"), piper_featdir, tmp_path / "base",
          max_steps=3)  # fmt: skip
    source = load_checkpoint(tmp_path / "base" / "checkpoints" / "latest.pt")
    ema, raw = model_weights(source, use_ema=True), model_weights(source, use_ema=False)
    name = "mel_linear.weight"
    assert not torch.allclose(ema[name], raw[name])
    still = tiny_config(
        "train.schedule=constant", "train.learning_rate=1e-12", "train.warmup_steps=0"
    )
    tuned = train(still, piper_featdir, tmp_path / "tuned", init_from=tmp_path / "base" /
                  "checkpoints" / "latest.pt", max_steps=1)  # fmt: skip
    torch.testing.assert_close(tuned["model"].state_dict()[name], ema[name], atol=1e-6, rtol=0)
