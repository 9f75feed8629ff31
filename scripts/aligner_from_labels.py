"""Train the aligner's network on fixed hard labels and measure the test split's boundaries.

A diagnostic for issue #5, not a way to align: the aligner (same network and settings as
``fastspeak align``) is trained with cross-entropy between its posterior over tokens and a
given path instead of the forward-sum loss, then MAS on its posteriors realigns the test split,
which is scored against FEATDIR's reference durations.

- ``--labels reference``: the teacher's own durations of the train split. A ceiling: how close
  this network gets to the teacher's boundaries when told where they are.
- ``--labels RUN/durations.jsonl``: a run's learned durations (pseudo-labels). If the learned
  errors were noise, a network trained on them would average them out; if they are a
  consistent convention, it reproduces them.

Used in docs/evaluations/aligner_piper_cpu.md::

    python scripts/aligner_from_labels.py configs/piper_joe/fastspeech2.yaml data/features/piper_joe --labels reference
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from fastspeak.aligners.mas import durations_to_attention
from fastspeak.aligners.metrics import boundary_errors
from fastspeak.aligners.model import Aligner
from fastspeak.aligners.train import align_split, prepare_aligner_config
from fastspeak.config import load_config
from fastspeak.data.dataset import FeatureDataset, load_feature_dir
from fastspeak.data.sampler import length_bucketed_loader


def _labels(source: str) -> dict[str, torch.Tensor] | None:
    """None for the reference durations, else utterance id -> (N,) durations of a run."""
    if source == "reference":
        return None
    with open(source, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return {record["id"]: torch.as_tensor(record["durations"]) for record in records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", type=Path, help="the config `fastspeak align` used")
    parser.add_argument("data", type=Path, help="FEATDIR with reference durations")
    parser.add_argument("--labels", default="reference", help="'reference' or a durations.jsonl")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    config = prepare_aligner_config(load_config(args.config), args.data)
    frame = config.audio.hop_length, config.audio.sample_rate
    vocab, speakers, _ = load_feature_dir(args.data)
    train = FeatureDataset(args.data, "train", vocab, speakers)
    test = FeatureDataset(args.data, "test", vocab, speakers)
    train_indices = [i for i, e in enumerate(train.entries) if len(e["tokens"]) <= e["frames"]]
    test_indices = [i for i, e in enumerate(test.entries) if len(e["tokens"]) <= e["frames"]]
    labels = _labels(args.labels)
    aligner = Aligner(config.align)
    optimizer = torch.optim.Adam(aligner.parameters(), lr=config.align.learning_rate)
    loader, sampler = length_bucketed_loader(
        train,
        train_indices,
        [int(train.entries[i]["frames"]) for i in train_indices],
        config.align.batch_size,
        shuffle=True,
        seed=args.seed,
    )
    step, epoch, started = 0, 0, time.perf_counter()
    while step < args.steps:
        sampler.set_epoch(epoch)
        epoch += 1
        for batch in loader:
            durations = batch.durations
            if labels is not None:
                durations = torch.zeros_like(durations)
                for row, item_id in enumerate(batch.ids):
                    durations[row, : len(labels[item_id])] = labels[item_id]
            log_attention = aligner.scores(
                batch.tokens, batch.token_lengths, batch.mels, batch.mel_lengths
            )[0]
            target = durations_to_attention(durations, batch.mels.size(1))  # (B, N, T)
            loss = -(target * torch.log_softmax(log_attention, dim=1)).sum()
            loss = loss / batch.mel_lengths.sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(aligner.parameters(), config.align.grad_clip)
            optimizer.step()
            step += 1
            if step % args.eval_every == 0 or step == args.steps:
                found = list(align_split(aligner, test, test_indices, torch.device("cpu"), 16))
                errors = boundary_errors(
                    [item[1] for item in found], [item[2] for item in found], *frame
                )
                print(
                    f"step {step}: cross-entropy {loss.item():.3f}, test boundary error mean "
                    f"{errors.mean_ms:.2f} ms, median {errors.median_ms:.2f}, p95 "
                    f"{errors.p95_ms:.1f}, exact {100 * errors.exact_fraction:.1f} % "
                    f"({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
            if step >= args.steps:
                break


if __name__ == "__main__":
    main()
