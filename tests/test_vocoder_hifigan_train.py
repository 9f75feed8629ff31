"""HiFi-GAN training on a real (tiny) piper FEATDIR, on CPU: segment data, `fastspeak
train-vocoder` with exact resume, `fastspeak gta` and fine-tuning on its mels, the trained
vocoder in the Synthesizer, two-process DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from scripts.device.vocoder_session import last_step

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram, mel_frames
from fastspeak.cli import main
from fastspeak.config import load_config
from fastspeak.data.gta import find_audio_span
from fastspeak.data.vocoder import VocoderDataset, featdir_entries, gta_entries
from fastspeak.synthesis import Synthesizer
from fastspeak.train.checkpoint import load_checkpoint
from fastspeak.train.gan_loop import generator_lr_scale, optimizer_updates, train_vocoder
from fastspeak.train.loop import train
from fastspeak.vocoders.hifigan import load_generator
from fastspeak.voice import export_voice

CONFIGS = Path(__file__).parent.parent / "configs" / "piper_joe"
TINY = CONFIGS / "hifigan_tiny.yaml"
TINY_ACOUSTIC = CONFIGS / "fastspeech2_tiny.yaml"
AUDIO = load_config(TINY).audio
HOP = AUDIO.hop_length


def same_state(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_segments_are_slices_of_the_utterance_mel_and_reproducible(piper_featdir: Path) -> None:
    entries = featdir_entries(piper_featdir, "train")
    assert len(entries) == 10 and all(Path(e["audio"]).is_file() for e in entries)
    segments = VocoderDataset(entries, AUDIO, 4096, seed=5)
    whole = VocoderDataset(entries, AUDIO, None)
    item, full = segments[(3, 2)], whole[2]
    assert item["mels"].shape == (80, 16) and item["wavs"].shape == (4096,)
    frames = full["mels"].shape[1]
    assert full["wavs"].shape == (frames * HOP,)
    wav = load_audio(entries[2]["audio"], AUDIO.sample_rate)
    assert frames == mel_frames(len(wav), HOP)
    mel = MelSpectrogram(AUDIO)(torch.from_numpy(wav)).T
    assert torch.allclose(full["mels"], mel, atol=1e-5)  # THE mel of the recording
    starts = [
        s for s in range(frames - 15) if torch.equal(full["mels"][:, s : s + 16], item["mels"])
    ]
    assert len(starts) == 1
    start = starts[0]
    assert torch.equal(item["wavs"], full["wavs"][start * HOP : (start + 16) * HOP])
    assert torch.equal(segments[(3, 2)]["wavs"], item["wavs"])  # (seed, epoch, index) fixes it
    assert len({int(segments[(epoch, 2)]["wavs"].abs().argmax()) for epoch in range(6)}) > 1


def run_cli(*arguments: str) -> int:
    return main([str(argument) for argument in arguments])


def tiny_vocoder(*overrides: str):
    return load_config(TINY, list(overrides))


def test_train_vocoder_cli_writes_checkpoint_and_resumes_exactly(
    piper_featdir: Path, tmp_path: Path
) -> None:
    torch.set_num_threads(1)
    straight = train_vocoder(tiny_vocoder(), piper_featdir, tmp_path / "straight", max_steps=3)
    run = tmp_path / "run"
    common = ["--config", TINY, "--data", piper_featdir, "--out", run]
    val = ["--set", "vocoder.train.val_interval=2", "--set", "vocoder.train.sample_interval=2"]
    assert run_cli("train-vocoder", *common, *val, "--max-steps", 2) == 0
    first = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert first["kind"] == "hifigan" and first["step"] == 2 and first["batch_in_epoch"] == 2
    assert (
        first["data"]["gta_dir"] is None
        and first["config"]["vocoder"]["generator"]["variant"] == "v1"
    )
    assert run_cli("train-vocoder", *common, "--max-steps", 2) == 2  # no silent overwrite
    assert run_cli("train-vocoder", *common, *val, "--resume", "--max-steps", 3) == 0
    resumed = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert resumed["step"] == straight["step"] == 3
    assert same_state(resumed["model"], straight["generator"].state_dict())
    assert same_state(resumed["discriminator"], straight["discriminator"].state_dict())
    records = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    train_losses = [r["generator"] for r in records if r["split"] == "train"]
    assert train_losses == straight["losses"]
    val_records = [r for r in records if r["split"] == "val"]
    assert val_records and np.isfinite(val_records[0]["mel_l1"])
    assert {"mel_l1", "adversarial", "feature_matching", "discriminator", "learning_rate"} <= set(
        records[0]
    )
    assert records[0]["learning_rate"] == pytest.approx(2e-4)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = sorted((run / "tensorboard").glob("events.out.tfevents.*"))[0]
    accumulator = EventAccumulator(str(events), size_guidance={"audio": 0, "images": 0})
    accumulator.Reload()
    assert {"val/generated_0", "val/real_0"} <= set(accumulator.Tags()["audio"])
    assert "val/mel_0" in accumulator.Tags()["images"]


@pytest.fixture(scope="module")
def acoustic_checkpoint(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = load_config(
        TINY_ACOUSTIC,
        ["train.num_workers=0", "train.progress=false", "train.batch_size=4",
         "train.save_interval=0", "train.milestone_interval=0", "train.val_interval=1000"],
    )  # fmt: skip
    result = train(config, piper_featdir, tmp_path_factory.mktemp("acoustic"), max_steps=2)
    return result["checkpoint"]


@pytest.fixture(scope="module")
def gta_dir(
    acoustic_checkpoint: Path, piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("gta") / "gta"
    code = run_cli(
        "gta", "--checkpoint", acoustic_checkpoint, "--data", piper_featdir, "--out", out,
        "--batch-size", 4, "--quiet",
    )  # fmt: skip
    assert code == 0
    return out


@pytest.fixture(scope="module")
def vocoder_checkpoint(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("vocoder")
    return train_vocoder(tiny_vocoder(), piper_featdir, run, max_steps=1)["checkpoint"]


def test_gta_mels_have_the_audio_frame_count(gta_dir: Path, piper_featdir: Path) -> None:
    report = json.loads((gta_dir / "report.json").read_text())
    assert report["gta"]["utterances"] == 13 and report["distillation"]["mode"] == "teacher-forced"
    assert report["gta"]["trimmed"] > 0  # edge silence was trimmed: spans had to be found
    assert report["gta"]["max_span_mel_difference"] < 0.01
    mel = MelSpectrogram(AUDIO)
    for split in ("train", "val", "test"):
        source = {e["id"]: e for e in map(json.loads, (piper_featdir / f"{split}.jsonl").open())}
        for entry in gta_entries(gta_dir, split):
            wav = load_audio(entry["audio"], AUDIO.sample_rate)[
                entry["audio_start"] : entry["audio_end"]
            ]
            with np.load(gta_dir / entry["features"]) as stored:
                gta_mels = stored["mels"]
            assert gta_mels.shape == (mel_frames(len(wav), HOP), 80) == (entry["frames"], 80)
            assert entry["frames"] == source[entry["id"]]["frames"]
            with np.load(piper_featdir / source[entry["id"]]["features"]) as stored:
                original = stored["mels"].astype(np.float32)
            recomputed = mel(torch.from_numpy(wav)).numpy()
            assert np.abs(recomputed - original).mean() < 0.01  # the span IS the features' audio
            assert np.abs(gta_mels.astype(np.float32) - original).mean() > 0.05  # model mels
    item = VocoderDataset(gta_entries(gta_dir, "train"), AUDIO, 4096, root=gta_dir)[(0, 0)]
    assert item["mels"].shape == (80, 16) and item["wavs"].shape == (4096,)


def test_gta_from_a_voice_folder(
    acoustic_checkpoint: Path, gta_dir: Path, piper_featdir: Path, tmp_path: Path
) -> None:
    """`fastspeak gta --checkpoint VOICE` (an exported voice, e.g. one trained on the GPU and
    brought back): the checkpoint's GTA mels, through half-precision weights."""
    voice = export_voice(acoustic_checkpoint, tmp_path / "voice")
    out = tmp_path / "gta"
    code = run_cli(
        "gta", "--checkpoint", voice, "--data", piper_featdir, "--out", out,
        "--batch-size", 4, "--quiet",
    )  # fmt: skip
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["distillation"]["source_step"] == load_checkpoint(acoustic_checkpoint)["step"]
    entries = gta_entries(out, "train")
    assert [e["id"] for e in entries] == [e["id"] for e in gta_entries(gta_dir, "train")]
    for entry in entries:
        with np.load(out / entry["features"]) as ours, np.load(gta_dir / entry["features"]) as ref:
            difference = np.abs(ours["mels"].astype(np.float32) - ref["mels"].astype(np.float32))
        assert difference.mean() < 0.01 and difference.max() < 0.1, entry["id"]


def test_find_audio_span_recovers_a_trim(piper_featdir: Path) -> None:
    entry = featdir_entries(piper_featdir, "train")[0]
    wav = load_audio(entry["audio"], AUDIO.sample_rate)
    mel = MelSpectrogram(AUDIO)
    start, end = 7 * HOP, len(wav) - 1000
    stored = mel(torch.from_numpy(wav[start:end])).numpy().astype(np.float16).astype(np.float32)
    found_start, found_end, difference = find_audio_span(wav, stored, mel)
    assert found_start == start and mel_frames(found_end - found_start, HOP) == stored.shape[0]
    assert difference < 0.01


def test_fine_tune_on_gta_mels(
    gta_dir: Path, piper_featdir: Path, vocoder_checkpoint: Path, tmp_path: Path
) -> None:
    run = tmp_path / "finetune"
    common = ["--config", TINY, "--data", piper_featdir, "--out", run]
    source = load_checkpoint(vocoder_checkpoint)
    assert run_cli("train-vocoder", *common, "--gta", gta_dir, "--init-from", vocoder_checkpoint,
                   "--max-steps", 1) == 0  # fmt: skip
    tuned = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert tuned["step"] == 1 and tuned["data"]["gta_dir"] == str(gta_dir.resolve())
    assert tuned["init_from"] == str(vocoder_checkpoint)
    assert tuned["lr_epochs_before"] == source["epoch"]
    assert not same_state(tuned["model"], source["model"])
    # the source's optimizer states came along: its generator optimizer made one update, so
    # the trained generator's lr ramps on from there (2 / N at its second update)
    assert optimizer_step(source["optimizer"]) == 1
    ramp = tiny_vocoder().vocoder.train.generator_lr_ramp_steps
    assert lrs(tuned)[0] == pytest.approx(lrs(tuned)[1] * 2 / ramp)
    # a resume must keep the data source
    assert run_cli("train-vocoder", *common, "--resume", "--max-steps", 2) == 2
    assert run_cli("train-vocoder", *common, "--gta", gta_dir, "--resume", "--max-steps", 2) == 0


def test_training_continues_an_exported_generator_with_fresh_discriminators(
    piper_featdir: Path, vocoder_checkpoint: Path, tmp_path: Path
) -> None:
    from fastspeak.vocoders.hifigan import export_generator, load_generator

    torch.set_num_threads(1)
    weights, meta = export_generator(vocoder_checkpoint, tmp_path / "export" / "gen.pt")
    exported = load_generator(meta)[0].state_dict()
    source = load_checkpoint(vocoder_checkpoint)

    def continued(name: str, warmup: int, steps: int) -> dict:
        config = tiny_vocoder(f"vocoder.train.discriminator_warmup_steps={warmup}")
        result = train_vocoder(
            config, piper_featdir, tmp_path / name, init_from=meta, max_steps=steps
        )
        return load_checkpoint(result["checkpoint"])

    # warm-up only: the discriminators learn, the generator is the export's, exactly
    warm = continued("warm", warmup=2, steps=2)
    assert warm["step"] == 2 and warm["init_from"] == str(meta)
    generator = load_generator(tmp_path / "warm" / "checkpoints" / "latest.pt")[0].state_dict()
    assert generator.keys() == exported.keys()
    for name, tensor in exported.items():  # weight norm re-applied and removed: same weights
        torch.testing.assert_close(generator[name], tensor, rtol=1e-5, atol=1e-6)
    records = [json.loads(line) for line in (tmp_path / "warm" / "train_log.jsonl").open()]
    steps = [r for r in records if r["split"] == "train"]
    assert steps and all("generator_grad_norm" not in r for r in steps)
    assert all(r["discriminator_grad_norm"] > 0 and np.isfinite(r["mel_l1"]) for r in steps)
    assert warm["discriminator"].keys() == source["discriminator"].keys()
    # after the warm-up the generator trains, its new optimizer's lr ramping up
    trained = continued("trained", warmup=1, steps=2)
    assert not same_state(trained["model"], warm["model"])
    ramp = tiny_vocoder().vocoder.train.generator_lr_ramp_steps
    generator_lr, discriminator_lr = lrs(trained)
    assert trained["generator_lr_ramp"] and generator_lr == pytest.approx(discriminator_lr / ramp)
    config = tiny_vocoder("vocoder.train.discriminator_warmup_steps=1")
    train_vocoder(config, piper_featdir, tmp_path / "trained", resume=True, max_steps=3)
    resumed = load_checkpoint(tmp_path / "trained" / "checkpoints" / "latest.pt")
    assert lrs(resumed)[0] == pytest.approx(2 * lrs(resumed)[1] / ramp)
    # a checkpoint stopped inside the warm-up holds a generator optimizer that never updated:
    # a run from it (the device session's fine-tune) ramps as from the export itself
    assert warm["generator_lr_ramp"] and optimizer_step(warm["optimizer"]) == 0
    tuned = train_vocoder(
        config, piper_featdir, tmp_path / "tuned", init_from=tmp_path / "warm" / "checkpoints"
        / "latest.pt", max_steps=2,
    )  # fmt: skip
    generator_lr, discriminator_lr = lrs(load_checkpoint(tuned["checkpoint"]))
    assert generator_lr == pytest.approx(discriminator_lr / ramp)  # its first update


def test_a_young_source_keeps_its_lr_decay_epochs(piper_featdir: Path, tmp_path: Path) -> None:
    """--init-from a checkpoint whose generator optimizer is young (its lr ramps): the run
    still goes on from the source's decayed lr (the ramp's message had taken its place)."""
    torch.set_num_threads(1)
    config = tiny_vocoder("vocoder.train.lr_decay=0.5")
    source = load_checkpoint(
        train_vocoder(config, piper_featdir, tmp_path / "source", max_steps=7)["checkpoint"]
    )
    assert source["epoch"] >= 1 and optimizer_step(source["optimizer"]) == 7
    tuned = load_checkpoint(train_vocoder(config, piper_featdir, tmp_path / "tuned",
                            init_from=tmp_path / "source" / "checkpoints" / "latest.pt",
                            max_steps=1)["checkpoint"])  # fmt: skip
    assert tuned["lr_epochs_before"] == source["lr_epochs_before"] + source["epoch"]
    generator_lr, discriminator_lr = lrs(tuned)
    assert discriminator_lr == pytest.approx(2e-4 * 0.5 ** tuned["lr_epochs_before"])
    ramp = config.vocoder.train.generator_lr_ramp_steps
    assert generator_lr == pytest.approx(discriminator_lr * 8 / ramp)  # its 8th update


def optimizer_step(state: dict) -> int:
    """Updates made by the optimizer whose state dict is ``state`` (0 if none)."""
    steps = [int(entry["step"]) for entry in state["state"].values()]
    return steps[0] if steps else 0


def lrs(checkpoint: dict) -> tuple[float, float]:
    """(generator, discriminator) lr of a train-vocoder checkpoint's optimizers."""
    return tuple(  # type: ignore[return-value]
        checkpoint[name]["param_groups"][0]["lr"]
        for name in ("optimizer", "discriminator_optimizer")
    )


def test_generator_lr_ramp_follows_the_optimizers_updates() -> None:
    opts = tiny_vocoder("vocoder.train.generator_lr_ramp_steps=4").vocoder.train
    scales = [generator_lr_scale(updates, opts, ramp=True) for updates in range(6)]
    assert scales == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert all(generator_lr_scale(updates, opts, ramp=False) == 1.0 for updates in range(6))
    opts.generator_lr_ramp_steps = 0
    assert generator_lr_scale(0, opts, ramp=True) == 1.0
    parameter = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.AdamW([parameter])
    assert optimizer_updates(optimizer) == 0
    for _ in range(3):
        parameter.sum().backward()
        optimizer.step()
    assert optimizer_updates(optimizer) == 3


def test_init_from_a_checkpoint_takes_the_configs_betas_and_weight_decay(
    piper_featdir: Path, vocoder_checkpoint: Path, tmp_path: Path
) -> None:
    torch.set_num_threads(1)
    config = tiny_vocoder("vocoder.train.weight_decay=0.0", "vocoder.train.betas=[0.5,0.9]")
    tuned = train_vocoder(
        config, piper_featdir, tmp_path / "tuned", init_from=vocoder_checkpoint, max_steps=1
    )
    checkpoint = load_checkpoint(tuned["checkpoint"])
    for name in ("optimizer", "discriminator_optimizer"):
        group = checkpoint[name]["param_groups"][0]
        assert group["weight_decay"] == 0.0 and tuple(group["betas"]) == (0.5, 0.9)


def test_mel_only_phase_trains_the_generator_alone_then_warms_up_the_discriminators(
    piper_featdir: Path, tmp_path: Path
) -> None:
    from fastspeak.vocoders.hifigan import HiFiGANDiscriminator, HiFiGANGenerator

    torch.set_num_threads(1)
    overrides = ["vocoder.train.mel_only_steps=2", "vocoder.train.discriminator_warmup_steps=1"]
    config = tiny_vocoder(*overrides)
    torch.manual_seed(config.vocoder.train.seed)  # the loop's initial networks
    initial_generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels)
    initial = HiFiGANDiscriminator(config.vocoder.discriminator).state_dict()
    mel_only = load_checkpoint(
        train_vocoder(config, piper_featdir, tmp_path / "mel_only", max_steps=2)["checkpoint"]
    )
    assert same_state(mel_only["discriminator"], initial)  # neither run nor updated
    assert not same_state(mel_only["model"], initial_generator.state_dict())
    full = train_vocoder(config, piper_featdir, tmp_path / "full", max_steps=4)
    records = [json.loads(line) for line in (tmp_path / "full" / "train_log.jsonl").open()]
    steps = {r["step"]: r for r in records if r["split"] == "train"}
    for step in (1, 2):  # mel L1 alone: no adversarial terms, no discriminator update
        assert "adversarial" not in steps[step] and "discriminator_grad_norm" not in steps[step]
        assert steps[step]["generator_grad_norm"] > 0
        assert steps[step]["generator"] == pytest.approx(45.0 * steps[step]["mel_l1"], rel=1e-5)
    assert "generator_grad_norm" not in steps[3] and steps[3]["discriminator_grad_norm"] > 0
    assert steps[4]["generator_grad_norm"] > 0 and steps[4]["discriminator_grad_norm"] > 0
    assert np.isfinite(steps[4]["adversarial"])
    assert not same_state(load_checkpoint(full["checkpoint"])["discriminator"], initial)


def test_synthesizer_and_cli_speak_through_the_trained_vocoder(
    acoustic_checkpoint: Path, vocoder_checkpoint: Path, tmp_path: Path
) -> None:
    text = "The cat sat on the mat. Rain fell all day long."
    hifigan = Synthesizer.from_checkpoint(
        acoustic_checkpoint, vocoder=f"hifigan:{vocoder_checkpoint}"
    )
    result = hifigan.synthesize(text)
    assert result.wav is not None and result.sample_rate == AUDIO.sample_rate
    pauses = sum(round(c.pause_ms * AUDIO.sample_rate / 1000) for c in result.chunks)
    assert len(result.wav) == sum(c.frames for c in result.chunks) * HOP + pauses
    assert np.isfinite(result.wav).all() and np.abs(result.wav).max() <= 1.0
    out = tmp_path / "hello.wav"
    code = run_cli(
        "synthesize", "--checkpoint", acoustic_checkpoint, "--text", "We met at noon.",
        "--out", out, "--vocoder", f"hifigan:{vocoder_checkpoint}", "--quiet",
    )  # fmt: skip
    assert code == 0 and out.is_file()
    with pytest.raises(Exception, match="holds a hifigan model"):
        Synthesizer.from_checkpoint(vocoder_checkpoint)


def test_device_pack_round_trip_is_exact_and_needs_no_corpus(
    piper_featdir: Path, gta_dir: Path, tmp_path: Path
) -> None:
    """scripts/device/vocoder_pack.py: 16-bit audio spans + GTA mels, unpacked into a folder
    that train-vocoder reads as --data and --gta without the corpus or soundfile."""
    script = Path(__file__).parent.parent / "scripts" / "device" / "vocoder_pack.py"
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    packed, unpacked = tmp_path / "packed", tmp_path / "unpacked"
    for arguments in (
        ["pack", piper_featdir, packed, "--minutes", "0.05", "--val", "1", "--gta", gta_dir],
        ["unpack", packed, unpacked],
    ):
        completed = subprocess.run(
            [sys.executable, str(script), *map(str, arguments)],
            env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stderr[-2000:]
    train_entries = featdir_entries(unpacked, "train")
    assert 1 <= len(train_entries) < 10 and len(featdir_entries(unpacked, "val")) == 1
    spans = {entry["id"]: entry for entry in gta_entries(gta_dir, "train")}
    for entry in train_entries:
        pcm = np.load(entry["audio"])
        span = spans[entry["id"]]
        original = load_audio(span["audio"], AUDIO.sample_rate)[
            span["audio_start"] : span["audio_end"]
        ]
        assert pcm.dtype == np.int16 and np.array_equal(
            pcm, np.round(original * 32768).astype(np.int16)
        )
    whole = VocoderDataset(train_entries, AUDIO, None)[0]
    source = VocoderDataset(list(spans.values()), AUDIO, None, root=gta_dir)
    reference = source[[e["id"] for e in spans.values()].index(whole["id"])]
    assert torch.equal(whole["wavs"], reference["wavs"])
    packed_gta = VocoderDataset(gta_entries(unpacked, "train"), AUDIO, None, root=unpacked)[0]
    assert torch.allclose(packed_gta["mels"], reference["mels"])


def test_device_vocoder_session_runs_end_to_end_on_cpu(
    piper_featdir: Path, gta_dir: Path, tmp_path: Path
) -> None:
    """scripts/device/vocoder_session.py as a GPU session runs it, on the CPU with a tiny
    config: pretraining (mel-only, then discriminators alone), an export that comes back before
    the fine-tune, the GTA fine-tune (whose discriminators never learned, so it starts with
    them alone), and `join` here."""
    root = Path(__file__).parent.parent
    environment = {**os.environ, "PYTHONPATH": f"{root / 'src'}:{root}",
                   "OUT": str(tmp_path / "out"), "WORK": str(tmp_path / "work")}  # fmt: skip
    packed = tmp_path / "packed"
    pack = [sys.executable, "scripts/device/vocoder_pack.py", "pack", str(piper_featdir),
            str(packed), "--minutes", "0.05", "--val", "1", "--gta", str(gta_dir)]  # fmt: skip
    subprocess.run(pack, env=environment, cwd=root, check=True, capture_output=True, timeout=120)
    session = [sys.executable, "scripts/device/vocoder_session.py", "--packed", str(packed),
               "--device", "cpu", "--run", f"tiny={TINY}", "--minutes", "0.05",
               "--ft-minutes", "0.05", "--budget", "400", "--workers", "0",
               "--mel-only-steps", "2", "--warmup-steps", "1000"]  # fmt: skip
    completed = subprocess.run(session, env=environment, cwd=root, capture_output=True,
                               text=True, timeout=400)  # fmt: skip
    log = (tmp_path / "out" / "session.log").read_text()
    assert completed.returncode == 0 and "session done" in log, completed.stderr[-2000:] + log
    assert log.count("export tiny:") == 2 and "export tiny_gta:" in log
    fine_tune = [
        json.loads(line) for line in (tmp_path / "work" / "tiny_gta" / "train_log.jsonl").open()
    ]
    train = [record for record in fine_tune if record["split"] == "train"]
    assert train and all("generator_grad_norm" not in record for record in train)
    joined = tmp_path / "joined"
    join = [sys.executable, "scripts/device/vocoder_session.py", "join", str(tmp_path / "out"),
            str(joined)]  # fmt: skip
    subprocess.run(join, env=environment, cwd=root, check=True, capture_output=True, timeout=60)
    for name in ("tiny", "tiny_gta"):
        generator, audio, _ = load_generator(joined / f"{name}.json")
        assert audio == AUDIO and sum(p.numel() for p in generator.parameters()) > 0
    # a second command on the warm machine: the GTA run resumed on its own data, re-exported
    before = last_step(tmp_path / "work" / "tiny_gta")
    environment["OUT"] = str(tmp_path / "out2")
    again = [sys.executable, "scripts/device/vocoder_session.py", "resume", "tiny_gta",
             "missing", "--minutes", "0.05", "--device", "cpu", "--budget", "200"]  # fmt: skip
    completed = subprocess.run(again, env=environment, cwd=root, capture_output=True,
                               text=True, timeout=200)  # fmt: skip
    log = (tmp_path / "out2" / "session.log").read_text()
    assert completed.returncode == 0 and "export tiny_gta:" in log, completed.stderr[-2000:] + log
    assert "cannot resume missing" in log  # a run that is not there leaves the others going
    assert "(GTA mels), step " in (tmp_path / "work" / "train_tiny_gta.out").read_text()
    assert last_step(tmp_path / "work" / "tiny_gta") > before
    with tarfile.open(tmp_path / "out2" / "results.tar") as archive:
        assert {"tiny_gta.json", "tiny_gta.pt"} <= set(archive.getnames())


WORKER = """
import hashlib, json, os, sys
from pathlib import Path
from fastspeak.config import load_config
from fastspeak.train.gan_loop import train_vocoder

tiny, feat_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
# step 1: G alone on mel L1, step 2: D alone, steps 3-4: both
overrides = ["vocoder.train.mel_only_steps=1", "vocoder.train.discriminator_warmup_steps=1"]
config = load_config(tiny, overrides)
result = train_vocoder(config, feat_dir, out / "run", max_steps=4)
digest = hashlib.sha256()
for module in ("generator", "discriminator"):
    for name, tensor in sorted(result[module].state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
(out / f"rank{os.environ['RANK']}.json").write_text(
    json.dumps({"digest": digest.hexdigest(), "losses": result["losses"], "step": result["step"]}))
"""


def test_two_process_ddp_keeps_generator_and_discriminator_identical(
    piper_featdir: Path, tmp_path: Path
) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        str(script), str(TINY), str(piper_featdir), str(tmp_path),
    ]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0]["step"] == ranks[1]["step"] == 4
    assert ranks[0]["digest"] == ranks[1]["digest"]
    assert ranks[0]["losses"] != ranks[1]["losses"]  # each rank trained on its own segments
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")["step"] == 4


def test_training_benchmark_times_every_part_and_records(
    piper_featdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import benchmarks.common
    from benchmarks import bench_vocoder_train

    out = tmp_path / "train.json"
    code = bench_vocoder_train.main(
        [
            "--config",
            str(TINY),
            "--device",
            "cpu",
            "--precisions",
            "fp32",
            "--warmup",
            "1",
            "--steps",
            "2",
            "--data",
            str(piper_featdir),
            "--workers",
            "0",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    (entry,) = result["precisions"]
    for part in ("step", "mel_only_step", "generator", "mpd", "msd", "mel_loss"):
        assert entry[f"{part}_ms"] > 0
    assert entry["mel_only_step_ms"] < entry["step_ms"]  # no discriminator pass
    assert entry["steps_per_s"] == pytest.approx(1e3 / entry["step_ms"], rel=0.01)
    assert result["loader"]["batches_per_s"] > 0
    markdown = tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(benchmarks.common, "BENCHMARKS_MD", markdown)
    bench_vocoder_train.main(["--record", str(out)])
    text = markdown.read_text()
    assert "## vocoder training (GPU)" in text and f"| fp32 | {entry['step_ms']} |" in text


def test_training_benchmark_recommends_a_compile_mode_only_when_it_pays() -> None:
    from benchmarks.bench_vocoder_train import compile_settings, recommended_compile

    assert compile_settings(None) == [] and compile_settings([]) == [True]
    assert compile_settings(["default", "reduce-overhead"]) == [True, "reduce-overhead"]
    entries = [
        {"precision": "fp32", "compile": False, "step_ms": 100.0},
        {"precision": "fp32", "compile": True, "step_ms": 85.0},  # 15 % faster: not enough
        {"precision": "bf16", "compile": False, "step_ms": 130.0},
        {"precision": "bf16", "compile": "reduce-overhead", "step_ms": 90.0},  # vs bf16 eager
    ]
    assert recommended_compile(entries) == "reduce-overhead"
    assert recommended_compile(entries[:2]) is False
    entries.append({"precision": "fp32", "compile": "reduce-overhead", "step_ms": 40.0})
    assert recommended_compile(entries) == "reduce-overhead"
    entries[1]["step_ms"] = 30.0
    assert recommended_compile(entries) is True
    entries[1] = {"precision": "fp32", "compile": True, "error": "RuntimeError()"}  # failed
    assert recommended_compile(entries) == "reduce-overhead"
