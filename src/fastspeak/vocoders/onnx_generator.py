"""A HiFi-GAN generator as ONNX, and its forward on onnxruntime (the fast CPU path).

On this project's 2-core CPU, onnxruntime runs the V3 generator several times faster than
PyTorch's eager convolutions (``benchmarks/bench_vocoder.py`` measures both), which is what lets
a neural vocoder fit the voice's real-time budget. :func:`write_generator_onnx` is the one ONNX
export of a generator: ``fastspeak export --format onnx`` writes it to ``vocoder.onnx`` and
:class:`OnnxGenerator` builds its session from it in memory.
"""

from __future__ import annotations

import copy
import io
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from fastspeak.vocoders.hifigan import HiFiGANGenerator

__all__ = [
    "OPSET",
    "OnnxGenerator",
    "onnxruntime_available",
    "write_generator_onnx",
    "write_generator_onnx_int8",
]

OPSET = 17


def onnxruntime_available() -> bool:
    """Whether ``import onnxruntime`` works here."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def write_generator_onnx(
    generator: HiFiGANGenerator, target: str | os.PathLike[str] | IO[bytes]
) -> None:
    """Export ``generator`` (weight norm removed) as ONNX to a path or a binary file object.

    Input ``mels`` (batch, n_mels, frames) float32, output ``wavs`` (batch, frames * hop); batch
    and frames are dynamic. A generator in another dtype or on another device is traced as a
    float32 CPU copy; either way it is left as it was (weights, device, training mode).
    """
    if generator.weight_norm:
        raise ValueError("remove the generator's weight norm before exporting it")
    weights = next(generator.parameters())
    model = generator
    if weights.dtype != torch.float32 or weights.device.type != "cpu":
        model = copy.deepcopy(generator).float().cpu()
    example = torch.randn(2, generator.n_mels, 24, generator=torch.Generator().manual_seed(0))
    # the TorchScript exporter writes to binary file objects too (typed as paths only)
    destination = str(target) if isinstance(target, (str, os.PathLike)) else target
    was_training = model.training
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about the Python-level loops
        torch.onnx.export(
            model.eval(),
            (example,),
            destination,  # type: ignore[arg-type]
            input_names=["mels"],
            output_names=["wavs"],
            dynamic_axes={"mels": {0: "batch", 2: "frames"}, "wavs": {0: "batch", 1: "samples"}},
            opset_version=OPSET,
            dynamo=False,
        )
    model.train(was_training)


class OnnxGenerator:
    """A generator's forward on onnxruntime's CPU provider: ``model``, an ONNX file (e.g. the
    int8 one an export ships), or else ``generator`` exported in memory.

    ``__call__(mels)``: (1, n_mels, T) float32 array -> (1, T * hop) float32 array. The weights
    are those of ``generator`` when this object is built; ``threads`` intra-op threads
    (default: ``torch.get_num_threads()``, so one thread setting governs both paths).
    """

    def __init__(
        self,
        generator: HiFiGANGenerator,
        threads: int | None = None,
        model: str | os.PathLike[str] | None = None,
    ) -> None:
        import onnxruntime

        if model is not None:
            source: bytes = Path(model).read_bytes()
        else:
            buffer = io.BytesIO()
            write_generator_onnx(generator, buffer)
            source = buffer.getvalue()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(threads or torch.get_num_threads())
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            source, options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, mels: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"mels": np.ascontiguousarray(mels, dtype=np.float32)})[0]


def write_generator_onnx_int8(
    generator: HiFiGANGenerator,
    calibration: Sequence[np.ndarray],
    target: str | os.PathLike[str],
    **options: Any,
) -> None:
    """Export ``generator`` as ONNX with int8 convolutions (static quantization, QDQ format:
    per-channel int8 weights, uint8 activations whose ranges are calibrated on ``calibration``,
    a few (1, n_mels, T) float32 log-mels of the kind it will vocode). About 1.6x faster than
    float32 on onnxruntime's CPU provider; the waveform changes a little (judge it: the speed is
    only worth it if ``fastspeak evaluate`` keeps the MOS). ``options`` go to onnxruntime's
    ``quantize_static`` over these defaults (``scripts/vocoder_int8_variants.py`` tries some)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class _Mels(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self.items, None)
            return None if item is None else {"mels": np.asarray(item, dtype=np.float32)}

    if not calibration:
        raise ValueError("int8 quantization needs at least one calibration mel")
    with tempfile.TemporaryDirectory() as folder:
        float_model = Path(folder) / "generator.onnx"
        write_generator_onnx(generator, float_model)
        settings = {
            "quant_format": QuantFormat.QDQ,
            "per_channel": True,
            "activation_type": QuantType.QUInt8,
            "weight_type": QuantType.QInt8,
        }
        quantize_static(str(float_model), str(target), _Mels(), **(settings | options))
