"""A run resumed (or fine-tuned) from a checkpoint takes its architecture from it: settings
given with --config/--set that differ are refused with both values, not dropped silently
(``train``, ``train-vocoder``, ``align``), while the run's own config resumes as before."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fastspeak.aligners.train import train_aligner
from fastspeak.cli import main
from fastspeak.config import ConfigError, load_config
from fastspeak.train.checkpoint import load_checkpoint
from fastspeak.train.gan_loop import train_vocoder

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "piper_joe"
TINY = CONFIGS / "fastspeech2_tiny.yaml"
TINY_VOCODER = CONFIGS / "hifigan_tiny.yaml"
QUIET = ["--set", "train.num_workers=0", "--set", "train.progress=false"]


def test_train_resume_refuses_other_model_settings(
    piper_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    first = ["train", "--config", str(TINY), *QUIET, "--data", str(piper_featdir)]
    assert main([*first, "--out", str(run), "--max-steps", "1"]) == 0
    resume = ["train", "--out", str(run), "--resume", "--max-steps", "2"]
    assert main([*resume, "--set", "model.hidden=32", "--set", "model.postnet_layers=3"]) == 2
    error = capsys.readouterr().err
    assert "--resume continues the model of" in error and "start a new run" in error
    assert "model.hidden=32 (the checkpoint has 64)" in error
    assert "model.postnet_layers=3 (the checkpoint has 2)" in error
    latest = run / "checkpoints" / "latest.pt"
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["model"]["hidden"] == 64 and load_checkpoint(latest)["step"] == 1  # nothing ran
    # the run's own config.yaml (every key given), or the file it started from, resumes
    assert main(resume) == 0
    assert main([*resume[:-1], "3", "--config", str(TINY), *QUIET, "--set", "model.hidden=64"]) == 0
    assert load_checkpoint(latest)["step"] == 3


def test_train_vocoder_resume_and_init_from_refuse_another_layout(
    piper_featdir: Path, tmp_path: Path
) -> None:
    source = train_vocoder(load_config(TINY_VOCODER), piper_featdir, tmp_path / "run", max_steps=1)
    other = load_config(
        TINY_VOCODER,
        ["vocoder.generator.upsample_initial_channel=16", "vocoder.discriminator.scales=1"],
    )
    expected = (
        r"vocoder.generator.upsample_initial_channel=16 \(the checkpoint has 32\); "
        r"vocoder.discriminator.scales=1 \(the checkpoint has 2\)"
    )
    with pytest.raises(ConfigError, match=f"--resume continues .*{expected}"):
        train_vocoder(other, piper_featdir, tmp_path / "run", resume=True, max_steps=2)
    with pytest.raises(ConfigError, match=f"--init-from .*{expected}.*leave out --init-from"):
        train_vocoder(other, piper_featdir, tmp_path / "tuned", init_from=source["checkpoint"])
    assert not (tmp_path / "tuned").exists()


def test_align_resume_refuses_other_aligner_settings(piper_featdir: Path, tmp_path: Path) -> None:
    sets = ["align.text_channels=16", "align.attention_channels=8", "train.progress=false"]
    sets += ["train.num_workers=0", "align.batch_size=4"]
    run = tmp_path / "run"
    train_aligner(load_config(None, sets), piper_featdir, run, max_steps=1, export=False)
    other = load_config(None, [*sets, "align.text_channels=32", "align.steps=50"])
    with pytest.raises(ConfigError) as caught:
        train_aligner(other, piper_featdir, run, max_steps=1, resume=True, export=False)
    message = str(caught.value)
    assert "--resume continues the aligner of" in message and "--max-steps extends it" in message
    assert "align.text_channels=32 (the checkpoint has 16)" in message
    assert "align.steps=50 (the checkpoint has 10000)" in message
    # the settings that act at export are the ones given now: no conflict
    again = load_config(None, [*sets, "align.transition_share=0.25"])
    result = train_aligner(again, piper_featdir, run, max_steps=1, resume=True, export=False)
    assert result["step"] == 1
