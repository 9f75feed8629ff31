"""DDP: two real CPU processes (gloo) launched by torch.distributed.run, no mocks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from fastspeak.train.checkpoint import load_checkpoint

WORKER = """
import hashlib, json, os, sys
from pathlib import Path
from fastspeak.config import load_config
from fastspeak.train.loop import train

tiny, feat_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
config = load_config(tiny, ["train.num_workers=0", "train.progress=false", "train.batch_size=2",
                            "train.save_interval=0", "train.milestone_interval=0",
                            "train.warmup_steps=2"])
result = train(config, feat_dir, out / "run", max_steps=3)
digest = hashlib.sha256()
for name, tensor in sorted(result["model"].state_dict().items()):
    digest.update(name.encode())
    digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
rank = os.environ["RANK"]
(out / f"rank{rank}.json").write_text(json.dumps(
    {"digest": digest.hexdigest(), "losses": result["losses"], "step": result["step"]}))
"""


def state_digest(state: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(state.items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def test_two_process_ddp_keeps_replicas_identical(piper_featdir: Path, tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    tiny = Path(__file__).parent.parent / "configs" / "piper_joe" / "fastspeech2_tiny.yaml"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        str(script), str(tiny), str(piper_featdir), str(tmp_path),
    ]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=180
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0]["step"] == ranks[1]["step"] == 3
    assert ranks[0]["digest"] == ranks[1]["digest"]
    assert ranks[0]["losses"] != ranks[1]["losses"]  # each rank saw its own batches
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")
    assert checkpoint["step"] == 3
    assert state_digest(checkpoint["model"]) == ranks[0]["digest"]
    logged = (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()
    assert len([line for line in logged if '"split": "train"' in line]) == 1  # rank 0 only
