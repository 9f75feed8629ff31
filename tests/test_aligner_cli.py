"""``fastspeak align`` end to end on real teacher audio: train a tiny aligner, export TextGrids
and durations, feed them back to preprocess, and check durations files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fastspeak.cli import main
from fastspeak.config import load_config
from fastspeak.data.alignments import attach_tokens, read_textgrid

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "piper_joe" / "fastspeech2.yaml"
TINY_ALIGNER = [
    "--set",
    "align.text_channels=16",
    "--set",
    "align.attention_channels=8",
    "--set",
    "align.batch_size=4",
    "--set",
    "align.warmup_steps=5",
    "--set",
    "align.binarization_start_step=20",
    "--set",
    "train.num_workers=0",
    "--set",
    "train.progress=false",
    "--set",
    "train.val_interval=15",
    "--set",
    "train.save_interval=15",
]
STEPS = 30


def manifest(feat_dir: Path) -> list[dict]:
    return [
        json.loads(line)
        for split in ("train", "val", "test")
        for line in (feat_dir / f"{split}.jsonl").read_text().splitlines()
        if line.strip()
    ]


def read_durations(path: Path) -> dict[str, list[int]]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {record["id"]: record["durations"] for record in records}


@pytest.fixture(scope="module")
def untrimmed_featdir(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus preprocessed without edge trimming: its mels span the whole wav, as
    ``preprocess --durations`` expects of the durations it reads."""
    from fastspeak.data.preprocess import preprocess

    config = load_config(CONFIG, ["features.trim_edge_silence=false"])
    out = tmp_path_factory.mktemp("align_feat") / "feat"
    preprocess(config, piper_featdir.parent / "corpus", out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def align_run(untrimmed_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("align_run") / "run"
    command = ["align", "--config", str(CONFIG), "--data", str(untrimmed_featdir)]
    code = main([*command, "--out", str(out), "--max-steps", str(STEPS), *TINY_ALIGNER])
    assert code == 0
    return out


def test_align_writes_textgrids_durations_and_a_report(
    align_run: Path, untrimmed_featdir: Path
) -> None:
    entries = manifest(untrimmed_featdir)
    durations = read_durations(align_run / "durations.jsonl")
    assert sorted(durations) == sorted(entry["id"] for entry in entries)
    config = load_config(CONFIG)
    hop = config.audio.hop_length
    for entry in entries:
        learned = durations[entry["id"]]
        assert len(learned) == len(entry["tokens"])
        assert sum(learned) == entry["frames"] and min(learned) >= 1
        # the TextGrid reads back, through the same path as MFA's, to the same frames
        segments = read_textgrid(align_run / "textgrids" / f"{entry['id']}.TextGrid")
        assert [segment.label for segment in segments] == entry["tokens"]
        aligned = attach_tokens(segments, entry["tokens"])
        frames, _, _ = aligned.frame_durations(
            config.audio.sample_rate, hop, (entry["frames"] - 1) * hop, trim=False
        )
        assert frames.tolist() == learned
    report = json.loads((align_run / "report.json").read_text())
    assert report["steps"] == STEPS and report["left_out"] == []
    assert report["utterances"] == {"train": 10, "val": 1, "test": 2}
    test = report["boundary_error"]["test"]
    assert test["utterances"] == 2 and test["boundaries"] > 0
    assert 0 <= test["median_ms"] <= test["p95_ms"] and test["mean_ms"] >= 0
    # piper's blanks: any cut inside one counts as exact, so never more error than to its end
    within = report["boundary_error_within_blanks"]["test"]
    assert within["boundaries"] == test["boundaries"]
    assert within["mean_ms"] <= test["mean_ms"] and within["p95_ms"] <= test["p95_ms"]
    assert (align_run / "checkpoints" / "latest.pt").is_file()
    log = [json.loads(line) for line in (align_run / "train_log.jsonl").read_text().splitlines()]
    assert any(record["split"] == "val" for record in log)
    assert all(np.isfinite(record.get("forward_sum", 0.0)) for record in log)


def test_learned_durations_feed_preprocess(
    align_run: Path, untrimmed_featdir: Path, piper_featdir: Path, tmp_path: Path
) -> None:
    from fastspeak.data.preprocess import preprocess

    config = load_config(CONFIG, ["features.trim_edge_silence=false"])
    out = tmp_path / "learned_feat"
    report = preprocess(
        config,
        piper_featdir.parent / "corpus",
        out,
        workers=1,
        progress=False,
        durations=align_run / "durations.jsonl",
    )
    assert report["skipped"] == [] and report["processed"] == 13
    learned = read_durations(align_run / "durations.jsonl")
    for entry in manifest(out):
        with np.load(out / entry["features"]) as data:
            assert data["durations"].tolist() == learned[entry["id"]]


def test_durations_over_trimmed_audio_keep_where_the_audio_sits(
    piper_featdir: Path, tmp_path: Path
) -> None:
    """``preprocess --durations`` with a trimmed FEATDIR's own durations records the same
    trim_start / source_seconds as the TextGrid-made FEATDIR, so ``align`` on it writes
    TextGrids on the corpus timeline too (they were missing: aligned 35 ms early)."""
    from fastspeak.data.preprocess import preprocess

    lines = []
    for entry in manifest(piper_featdir):
        with np.load(piper_featdir / entry["features"]) as data:
            lines.append(json.dumps({"id": entry["id"], "durations": data["durations"].tolist()}))
    durations = tmp_path / "durations.jsonl"
    durations.write_text("\n".join(lines) + "\n")
    out = tmp_path / "feat"
    report = preprocess(load_config(CONFIG), piper_featdir.parent / "corpus", out,
                        durations=durations, workers=1, progress=False)  # fmt: skip
    assert report["skipped"] == []
    made = {entry["id"]: entry for entry in manifest(out)}
    trimmed = 0
    for entry in manifest(piper_featdir):
        assert made[entry["id"]]["trim_start"] == entry["trim_start"]
        assert made[entry["id"]]["source_seconds"] == entry["source_seconds"]
        trimmed += entry["trim_start"] > 0
    assert trimmed > 0


def test_textgrids_of_a_trimmed_featdir_are_on_the_corpus_timeline(
    piper_featdir: Path, tmp_path: Path
) -> None:
    """A FEATDIR whose edge silence was trimmed: the TextGrids are shifted back onto the corpus
    audio, with the trimmed edges as silence, so the corpus reads them as MFA's (they used to
    start at 0 on the trimmed audio and end before the wav did)."""
    import soundfile

    from fastspeak.data.alignments import check_contiguous
    from fastspeak.data.preprocess import preprocess

    out = tmp_path / "run"
    command = ["align", "--config", str(CONFIG), "--data", str(piper_featdir), "--out", str(out)]
    assert main([*command, "--max-steps", "2", *TINY_ALIGNER]) == 0
    assert json.loads((out / "report.json").read_text())["trimmed_audio"]
    corpus = piper_featdir.parent / "corpus"
    config = load_config(CONFIG)
    hop_seconds = config.audio.hop_length / config.audio.sample_rate
    shifted = 0
    for entry in manifest(piper_featdir):
        segments = read_textgrid(out / "textgrids" / f"{entry['id']}.TextGrid")
        wav_seconds = soundfile.info(str(corpus / "wavs" / f"{entry['id']}.wav")).duration
        check_contiguous(segments, wav_seconds, tolerance=2 * hop_seconds)
        speech = [segment for segment in segments if segment.label]
        assert [segment.label for segment in speech] == entry["tokens"]
        assert speech[0].start == pytest.approx(entry["trim_start"], abs=1e-6)
        shifted += entry["trim_start"] > 0
    assert shifted > 0
    again = preprocess(config, corpus, tmp_path / "feat", alignments=out / "textgrids",
                       workers=1, progress=False)  # fmt: skip
    assert again["skipped"] == [] and again["processed"] == 13


def test_align_refuses_an_existing_run_and_resumes_to_re_export(
    align_run: Path, untrimmed_featdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["align", "--config", str(CONFIG), "--data", str(untrimmed_featdir)]
    command += ["--out", str(align_run), "--max-steps", str(STEPS), *TINY_ALIGNER]
    assert main(command) == 2
    assert "--resume" in capsys.readouterr().err
    before = (align_run / "durations.jsonl").read_text()
    assert main([*command, "--resume"]) == 0
    assert (align_run / "durations.jsonl").read_text() == before  # same weights, same export
    assert "boundary error" in capsys.readouterr().out
    # no --data: the FEATDIR its checkpoint records
    again = ["align", "--config", str(CONFIG), "--out", str(align_run), "--max-steps", str(STEPS)]
    assert main([*again, *TINY_ALIGNER, "--resume"]) == 0
    assert (align_run / "durations.jsonl").read_text() == before
    assert "resuming on the run's own data" in capsys.readouterr().out


def test_check_passes_good_durations_and_flags_a_broken_file(
    align_run: Path, untrimmed_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["align", "--check", "--data", str(untrimmed_featdir)]
    assert main([*data, "--out", str(tmp_path / "own.json")]) == 0
    own = json.loads((tmp_path / "own.json").read_text())
    assert own["passed"] and own["flagged"] == 0 and own["utterances"] == 13

    entries = {entry["id"]: entry for entry in manifest(untrimmed_featdir)}
    durations = read_durations(align_run / "durations.jsonl")
    ids = sorted(durations)
    broken = dict(durations)
    broken[ids[0]] = [*durations[ids[0]][:-1], durations[ids[0]][-1] + 3]  # sum off by 3
    tokens = entries[ids[1]]["tokens"]
    phone = next(i for i, token in enumerate(tokens) if token not in ("|", ",", "."))
    zeroed = list(durations[ids[1]])
    zeroed[phone + 1] += zeroed[phone]
    zeroed[phone] = 0  # a speech phone with no frames
    broken[ids[1]] = zeroed
    count, frames = len(durations[ids[2]]), entries[ids[2]]["frames"]
    broken[ids[2]] = [1] * (count - 1) + [frames - count + 1]  # everything on the last token
    del broken[ids[3]]
    path = tmp_path / "broken.jsonl"
    path.write_text(
        "".join(json.dumps({"id": k, "durations": v}) + "\n" for k, v in broken.items())
    )
    report_path = tmp_path / "broken.json"
    capsys.readouterr()
    code = main([*data, "--durations", str(path), "--out", str(report_path)])
    assert code == 1
    printed = capsys.readouterr().out
    assert "FAILED: 4 flagged" in printed
    report = json.loads(report_path.read_text())
    assert not report["passed"]
    assert report["counts"] == {
        "missing": 1,
        "count": 0,
        "negative": 0,
        "sum": 1,
        "zero_phone": 1,
        "prior": 1,
    }
    problems = {item["id"]: item["problems"] for item in report["utterances_flagged"]}
    assert problems[ids[0]][0].startswith("sum: durations sum to")
    assert problems[ids[1]] == [f"zero_phone: {tokens[phone]}@{phone}"]
    assert problems[ids[2]][0].startswith("prior: deviation")
    assert problems[ids[3]] == ["missing"]
    # a tolerance above the flagged fraction lets it pass
    assert (
        main([*data, "--durations", str(path), "--out", str(report_path), "--tolerance", "0.5"])
        == 0
    )


def test_align_command_errors(
    untrimmed_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["align", "--data", str(untrimmed_featdir)]) == 2
    assert "--out" in capsys.readouterr().err
    assert (
        main(["align", "--check", "--data", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 2
    )
    assert "FEATDIR" in capsys.readouterr().err


def test_plain_wav_text_pairs_end_to_end(
    piper_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No alignments at all: placeholder FEATDIR -> align -> preprocess --durations."""
    corpus = piper_featdir.parent / "corpus"
    placeholder = tmp_path / "feat0"
    common = ["--config", str(CONFIG), "--data", str(corpus), "--workers", "1", "--quiet"]
    assert main(["preprocess", *common, "--out", str(placeholder), "--no-alignments"]) == 0
    stats = json.loads((placeholder / "stats.json").read_text())
    assert stats["durations"] == "placeholder"
    for entry in manifest(placeholder):
        with np.load(placeholder / entry["features"]) as data:
            durations = data["durations"]
        assert durations.max() - durations.min() <= 1 and durations.sum() == entry["frames"]
    # the trainer will not take placeholder durations for real ones
    train_command = ["train", "--config", str(CONFIG), "--data", str(placeholder)]
    assert main([*train_command, "--out", str(tmp_path / "fs2"), "--max-steps", "1"]) == 2
    assert "placeholder durations" in capsys.readouterr().err
    assert not (tmp_path / "fs2").exists()  # refused before the run folder is made

    run = tmp_path / "align"
    command = ["align", "--config", str(CONFIG), "--data", str(placeholder), "--out", str(run)]
    assert main([*command, "--max-steps", "10", *TINY_ALIGNER]) == 0
    assert "no boundary error" in capsys.readouterr().out
    report = json.loads((run / "report.json").read_text())
    assert report["reference"] is None and report["boundary_error"] == {}
    learned = tmp_path / "feat"
    durations = ["--durations", str(run / "durations.jsonl")]
    assert main(["preprocess", *common, "--out", str(learned), *durations]) == 0
    assert json.loads((learned / "report.json").read_text())["skipped"] == []
    assert "durations" not in json.loads((learned / "stats.json").read_text())


def test_align_refines_on_export(align_run: Path, untrimmed_featdir: Path, tmp_path: Path) -> None:
    """`--resume` with align.refine_iterations re-exports refined durations and reports the
    aligner's own error beside the refined one."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(align_run, run)
    command = ["align", "--config", str(CONFIG), "--data", str(untrimmed_featdir)]
    command += ["--out", str(run), "--max-steps", str(STEPS), *TINY_ALIGNER, "--resume"]
    command += ["--set", "align.refine_iterations=2", "--set", "align.refine_epochs=2"]
    assert main(command) == 0
    report = json.loads((run / "report.json").read_text())
    assert report["refine_seconds"] > 0
    assert set(report["boundary_error_aligner"]) == set(report["boundary_error"])
    durations = read_durations(run / "durations.jsonl")
    for entry in manifest(untrimmed_featdir):
        refined = durations[entry["id"]]
        assert sum(refined) == entry["frames"] and min(refined) >= 1


def test_align_re_segments_under_a_duration_prior(
    align_run: Path, untrimmed_featdir: Path, tmp_path: Path
) -> None:
    """`--resume` with align.duration_prior_rounds re-exports durations re-segmented by the
    explicit-duration search (the tokens keep >= 1 frame, the sums stay) and reports the
    aligner's own error beside them."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(align_run, run)
    command = ["align", "--config", str(CONFIG), "--data", str(untrimmed_featdir)]
    command += ["--out", str(run), "--max-steps", str(STEPS), *TINY_ALIGNER, "--resume"]
    assert main([*command, "--set", "align.duration_prior_rounds=0"]) == 0
    aligner_alone = read_durations(run / "durations.jsonl")
    alone_report = json.loads((run / "report.json").read_text())
    assert "duration_prior" not in alone_report
    prior = ["--set", "align.duration_prior_rounds=2", "--set", "align.duration_prior_weight=20"]
    assert main([*command, *prior]) == 0
    report = json.loads((run / "report.json").read_text())
    assert report["duration_prior"]["seconds"] >= 0
    assert report["duration_prior"]["scale"] == pytest.approx(
        20.0 / report["duration_prior"]["path_cost"], rel=1e-2
    )
    assert report["boundary_error_aligner"] == alone_report["boundary_error"]
    assert (
        report["boundary_error_aligner_within_blanks"]
        == alone_report["boundary_error_within_blanks"]
    )
    durations = read_durations(run / "durations.jsonl")
    for entry in manifest(untrimmed_featdir):
        resegmented = durations[entry["id"]]
        assert len(resegmented) == len(entry["tokens"])
        assert sum(resegmented) == entry["frames"] and min(resegmented) >= 1
    assert durations != aligner_alone


def test_align_with_transition_states_re_exports_with_a_new_share(
    untrimmed_featdir: Path, tmp_path: Path
) -> None:
    """An aligner with transition states exports per-token durations; re-exported with share
    1 (each transition to the token before it) every boundary is at least a frame later than
    with share 0 (to the token after it)."""
    command = ["align", "--config", str(CONFIG), "--data", str(untrimmed_featdir)]
    command += ["--out", str(tmp_path / "run"), "--max-steps", str(STEPS), *TINY_ALIGNER]
    command += ["--set", "align.transition_tokens=true"]
    assert main(command) == 0
    exported = {}
    for share in ("1.0", "0.0"):
        assert main([*command, "--resume", "--set", f"align.transition_share={share}"]) == 0
        exported[share] = read_durations(tmp_path / "run" / "durations.jsonl")
    for entry in manifest(untrimmed_featdir):
        late, early = exported["1.0"][entry["id"]], exported["0.0"][entry["id"]]
        assert len(late) == len(early) == len(entry["tokens"])
        assert sum(late) == sum(early) == entry["frames"] and min(late + early) >= 1
        difference = np.cumsum(late)[:-1] - np.cumsum(early)[:-1]
        assert (difference >= 1).all()  # every transition has >= 1 frame


def test_align_stops_at_max_minutes_and_still_exports(
    untrimmed_featdir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    command = ["align", "--config", str(CONFIG), "--data", str(untrimmed_featdir)]
    assert main([*command, "--out", str(out), "--max-minutes", "0", *TINY_ALIGNER]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["steps"] == 1  # the first step is past a deadline of 0 minutes
    assert len(read_durations(out / "durations.jsonl")) == 13
    assert (out / "checkpoints" / "latest.pt").is_file()


def test_align_refuses_an_out_in_the_featdir_or_a_folder_that_is_no_run(
    piper_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out equal to or inside the FEATDIR would overwrite its report.json and config.yaml;
    a non-empty folder without an aligner run is someone else's. Nothing is written."""
    feat = tmp_path / "feat"
    shutil.copytree(piper_featdir, feat, ignore=shutil.ignore_patterns("cache"))
    before = {path.name: path.read_bytes() for path in feat.iterdir() if path.is_file()}
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    command = ["align", "--config", str(CONFIG), "--data", str(feat), *TINY_ALIGNER]
    for out, message in (
        (feat, "is the source FEATDIR"),
        (feat / "align", "is inside the FEATDIR"),
        (other, "exists and is not empty; choose a new folder (it holds no aligner run"),
    ):
        assert main([*command, "--out", str(out), "--max-steps", "1"]) == 2
        assert f"fastspeak: error: --out {out} {message}" in capsys.readouterr().err
    after = {path.name: path.read_bytes() for path in feat.iterdir() if path.is_file()}
    assert after == before and not (feat / "align").exists()
    assert sorted(path.name for path in other.iterdir()) == ["notes.txt"]
