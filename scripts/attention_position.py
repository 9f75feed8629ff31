"""Where inside each token's reference frames does a trained aligner's attention fire?

For the first ``--limit`` test utterances of FEATDIR (whose durations are the reference, e.g. a
teacher's timings), prints the median position of each token's attention peak and centre of
mass within its reference segment (0 = its first frame, 1 = its last; tokens of >= 5 frames),
and the mean posterior of the forward-sum loss's blank per frame. An unbiased aligner fires
mid-segment (0.5); one that fires late puts every MAS boundary late. Used in
docs/evaluations/aligner_piper_cpu.md::

    python scripts/attention_position.py runs/align_flite3 data/features/flite3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from fastspeak.aligners.model import Aligner
from fastspeak.config import config_from_dict
from fastspeak.data.batch import collate
from fastspeak.data.dataset import FeatureDataset, load_feature_dir
from fastspeak.train.checkpoint import load_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="a `fastspeak align` run folder")
    parser.add_argument("data", type=Path, help="FEATDIR with reference durations")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    checkpoint = load_checkpoint(args.run / "checkpoints" / "latest.pt")
    config = config_from_dict(checkpoint["config"]).align
    aligner = Aligner(config)
    aligner.load_state_dict(checkpoint["model"])
    aligner.eval()
    vocab, speakers, _ = load_feature_dir(args.data)
    dataset = FeatureDataset(args.data, "test", vocab, speakers)
    peaks, centres, blank = [], [], []
    with torch.no_grad():
        for index in range(min(args.limit, len(dataset))):
            batch = collate([dataset[index]])
            output = aligner(batch.tokens, batch.token_lengths, batch.mels, batch.mel_lengths)
            soft = output.soft_attention[0].numpy()  # (N, T)
            with_blank = torch.cat(
                [torch.full((1, soft.shape[1]), config.blank_logprob), output.log_attention[0]]
            )
            blank.append(float(torch.softmax(with_blank, 0)[0].mean()))
            durations = batch.durations[0].numpy()
            starts = np.concatenate([[0], np.cumsum(durations)[:-1]])
            frames = np.arange(soft.shape[1])
            for token, (start, length) in enumerate(zip(starts, durations, strict=True)):
                if length < 5:
                    continue
                weights = soft[token]
                peaks.append((np.argmax(weights) - start + 0.5) / length)
                centres.append(((weights * frames).sum() / weights.sum() - start + 0.5) / length)
    print(
        f"{args.run}: attention peak at {np.median(peaks):.2f} of the segment (median of "
        f"{len(peaks)} tokens), centre of mass {np.median(centres):.2f}; blank posterior per "
        f"frame {np.mean(blank):.3f}"
    )


if __name__ == "__main__":
    main()
