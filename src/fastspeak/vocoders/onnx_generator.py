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
import warnings
from typing import IO, TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from fastspeak.vocoders.hifigan import HiFiGANGenerator

__all__ = ["OPSET", "OnnxGenerator", "onnxruntime_available", "write_generator_onnx"]

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
    and frames are dynamic. The export traces a float32 CPU copy, so the generator itself is not
    changed.
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
    """``generator``'s forward on onnxruntime's CPU provider, from an in-memory export.

    ``__call__(mels)``: (1, n_mels, T) float32 array -> (1, T * hop) float32 array. The weights
    are those of ``generator`` when this object is built; ``threads`` intra-op threads
    (default: ``torch.get_num_threads()``, so one thread setting governs both paths).
    """

    def __init__(self, generator: HiFiGANGenerator, threads: int | None = None) -> None:
        import onnxruntime

        buffer = io.BytesIO()
        write_generator_onnx(generator, buffer)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(threads or torch.get_num_threads())
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            buffer.getvalue(), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, mels: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"mels": np.ascontiguousarray(mels, dtype=np.float32)})[0]
