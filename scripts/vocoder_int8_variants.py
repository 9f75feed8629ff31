"""How far int8 variants of an exported HiFi-GAN generator drift from its float32 output.

The voice export's int8 ONNX generator (:func:`fastspeak.vocoders.onnx_generator.
write_generator_onnx_int8`: static QDQ, per-channel int8 weights, uint8 activations calibrated
min-max) makes the bundled voice fast enough for #7, but it cost GPU session 3's V2 0.58
predicted MOS. This script tries the cheap variants onnxruntime offers (convolutions left in
float32 by stage, symmetric activations) on test mels and prints, per variant, the real-time
factor (2 threads), the mel L1 and SNR of its waveform against the float32 generator's::

    python scripts/vocoder_int8_variants.py runs/gpu_vocoder/v2_gta_more.json \
        --data data/features/piper_joe
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator", type=Path, help="an exported generator (.json)")
    parser.add_argument("--data", type=Path, required=True, help="FEATDIR (its cached mels)")
    parser.add_argument("--calibration", type=int, default=8, help="train mels to calibrate on")
    parser.add_argument("--tests", type=int, default=6, help="test mels to judge on")
    args = parser.parse_args()

    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType

    from fastspeak.evaluate.spectral import log_mel
    from fastspeak.vocoders.hifigan import load_generator
    from fastspeak.vocoders.onnx_generator import write_generator_onnx, write_generator_onnx_int8

    generator, audio, _ = load_generator(args.generator)

    def mels(split: str, count: int) -> list[np.ndarray]:
        """(1, n_mels, T) float32 log-mels of the first ``count`` utterances of a split."""
        lines = (args.data / f"{split}.jsonl").read_text().splitlines()[:count]
        paths = [args.data / json.loads(line)["features"] for line in lines]
        return [np.load(path)["mels"].astype(np.float32).T[None] for path in paths]

    calibration, tests = mels("train", args.calibration), mels("test", args.tests)

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2

    def vocode(model: Path) -> tuple[list[np.ndarray], float]:
        session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        began = time.perf_counter()
        wavs = [session.run(None, {"mels": mel})[0].reshape(-1) for mel in tests]
        return wavs, time.perf_counter() - began

    with tempfile.TemporaryDirectory() as folder:
        float_model = Path(folder) / "float32.onnx"
        write_generator_onnx(generator, float_model)
        convs = [
            node.name
            for node in onnx.load(str(float_model)).graph.node
            if node.op_type in ("Conv", "ConvTranspose")
        ]
        blocks = generator.num_kernels

        def stage(k: int) -> list[str]:
            """The convolutions of upsampling stage k: its transposed conv and its blocks."""
            parts = [f"/ups.{k}/"] + [
                f"/resblocks.{j}/" for j in range(blocks * k, blocks * (k + 1))
            ]
            return [name for name in convs if any(part in name for part in parts)]

        last = len(generator.upsample_rates) - 1
        variants: dict[str, dict] = {
            "min-max (the export's)": {},
            "first and last conv float": {"nodes_to_exclude": [convs[0], convs[-1]]},
            "stage 0 float": {"nodes_to_exclude": [convs[0], *stage(0)]},
            "last stage float": {"nodes_to_exclude": [*stage(last), convs[-1]]},
            "last two stages float": {
                "nodes_to_exclude": [*stage(last - 1), *stage(last), convs[-1]]
            },
            "symmetric int8 activations": {"extra_options": {"ActivationSymmetric": True}},
            "convolutions only (no Add/LeakyRelu QDQ)": {
                "op_types_to_quantize": ["Conv", "ConvTranspose"]
            },
        }
        reference, seconds = vocode(float_model)
        audio_seconds = sum(len(wav) for wav in reference) / audio.sample_rate
        print(f"float32: rtf {seconds / audio_seconds:.4f}")
        for name, settings in variants.items():
            model = Path(folder) / "int8.onnx"
            if "extra_options" in settings:  # symmetric activations need signed ones
                settings = {**settings, "activation_type": QuantType.QInt8}
            write_generator_onnx_int8(generator, calibration, model, **settings)
            wavs, seconds = vocode(model)
            rate = audio.sample_rate
            mel_l1 = np.mean(
                [
                    np.abs(log_mel(a, rate) - log_mel(b, rate)).mean()
                    for a, b in zip(wavs, reference, strict=True)
                ]
            )
            snr = np.mean(
                [
                    10 * np.log10(np.sum(b**2) / np.sum((a - b) ** 2))
                    for a, b in zip(wavs, reference, strict=True)
                ]
            )
            print(
                f"{name}: rtf {seconds / audio_seconds:.4f}, mel L1 vs float32 {mel_l1:.3f}, "
                f"SNR vs float32 {snr:.1f} dB"
            )


if __name__ == "__main__":
    main()
