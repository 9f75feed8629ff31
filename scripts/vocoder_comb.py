"""The frame-rate comb of HiFi-GAN generators' copy synthesis, beside the recordings'.

Vocodes the first N test recordings of a FEATDIR from their own mels with each vocoder given
and prints the mean "Comb dB" (:func:`fastspeak.evaluate.spectral.frame_rate_comb_db`: how far
the spectrum rises at multiples of the mel frame rate above midway between them) of the
recordings and of each vocoder's output. A quick check of a training run's milestones, without
the ASR and MOS judges of ``fastspeak evaluate``::

    python scripts/vocoder_comb.py --data data/features/piper_joe \
        hifigan:runs/stft_exp/v3_stft45/checkpoints/step_000002000.pt griffinlim
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from fastspeak.config import load_config
from fastspeak.data.vocoder import VocoderDataset, featdir_entries
from fastspeak.evaluate.spectral import frame_rate_comb_db
from fastspeak.vocoders import make_vocoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vocoders", nargs="+", help="e.g. hifigan:RUN/checkpoints/latest.pt")
    parser.add_argument("--data", type=Path, required=True, help="FEATDIR with a test split")
    parser.add_argument("--items", type=int, default=8, help="test recordings to vocode")
    args = parser.parse_args()
    audio = load_config(args.data / "config.yaml").audio
    frame_rate = audio.sample_rate / audio.hop_length
    entries = featdir_entries(args.data, "test")[: args.items]
    dataset = VocoderDataset(entries, audio, segment_size=None)
    items = [dataset[index] for index in range(len(dataset))]

    def mean_comb(wavs: list[np.ndarray]) -> float:
        return float(
            np.nanmean([frame_rate_comb_db(w, audio.sample_rate, frame_rate) for w in wavs])
        )

    print(f"recordings: {mean_comb([item['wavs'].numpy() for item in items]):.1f} dB")
    for name in args.vocoders:
        vocoder = make_vocoder(name, audio)
        outputs = []
        for item in items:
            with torch.inference_mode():
                wavs, lengths = vocoder(item["mels"][None])
            outputs.append(wavs[0, : lengths[0]].numpy())
        print(f"{name}: {mean_comb(outputs):.1f} dB")


if __name__ == "__main__":
    main()
