"""Ctrl-C during training: a real tiny run in a subprocess gets SIGINT mid-run, saves the step
it reached, exits with status 130, and ``--resume`` continues from that step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastspeak.cli import main
from fastspeak.train.checkpoint import load_checkpoint
from fastspeak.train.distributed import StopRequest

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "piper_joe"
# every step logged (so the test sees the run going), no scheduled save before the interrupt
ACOUSTIC = [
    "--config", str(CONFIGS / "fastspeech2_tiny.yaml"),
    "--set", "train.num_workers=0", "--set", "train.progress=false",
    "--set", "train.batch_size=4", "--set", "train.log_interval=1",
    "--set", "train.save_interval=100000", "--set", "train.milestone_interval=0",
]  # fmt: skip
VOCODER = [
    "--config", str(CONFIGS / "hifigan_tiny.yaml"),
    "--set", "vocoder.train.save_interval=100000", "--set", "vocoder.train.log_interval=1",
]  # fmt: skip
ALIGNER = [
    "--set", "align.text_channels=16", "--set", "align.attention_channels=8",
    "--set", "align.batch_size=4", "--set", "align.duration_prior_rounds=0",
    "--set", "train.num_workers=0", "--set", "train.progress=false",
    "--set", "train.log_interval=1", "--set", "train.save_interval=100000",
]  # fmt: skip
COMMANDS = {"train": ACOUSTIC, "train-vocoder": VOCODER, "align": ALIGNER}


def logged_steps(run: Path) -> int:
    """The last training step train_log.jsonl records (0 before the first)."""
    log = run / "train_log.jsonl"
    lines = log.read_text().splitlines() if log.is_file() else []
    return max((json.loads(line)["step"] for line in lines if line.endswith("}")), default=0)


def interrupt_after(command: list[str], run: Path, steps: int, timeout: float = 60.0):
    """Run ``python -m fastspeak.cli COMMAND``, send it SIGINT once ``steps`` steps are
    logged; returns (exit status, stdout, stderr)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fastspeak.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        # a shell's background job may start with SIGINT ignored; a terminal's Ctrl-C is not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + timeout
    try:
        while logged_steps(run) < steps:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, f"no step {steps} logged in {timeout} s"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, out, err


@pytest.mark.parametrize("name", list(COMMANDS))
def test_ctrl_c_saves_the_step_reached_and_resume_continues(
    name: str, piper_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    common = [name, *COMMANDS[name], "--data", str(piper_featdir), "--out", str(run)]
    code, out, err = interrupt_after([*common, "--max-steps", "100000"], run, steps=3)
    assert code == 130, (out, err)
    latest = run / "checkpoints" / "latest.pt"
    step = load_checkpoint(latest)["step"]
    assert step >= 3
    assert f"interrupted at step {step}: saved {latest}" in out
    assert "interrupted" in err  # the CLI's own line
    assert not list(latest.parent.glob(".latest.pt.*"))  # no temporary file left behind
    # --resume continues from the saved step (the run's own config and data)
    assert main([name, "--out", str(run), "--resume", "--max-steps", str(step + 1)]) == 0
    assert load_checkpoint(latest)["step"] == step + 1
    assert f"step {step} -> {step + 1}" in capsys.readouterr().out


def test_stop_request_restores_the_previous_handler() -> None:
    """Outside its block SIGINT raises KeyboardInterrupt as before; inside, the first only
    sets ``interrupted`` and a second raises."""
    before = signal.getsignal(signal.SIGINT)
    with StopRequest() as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.interrupted
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
