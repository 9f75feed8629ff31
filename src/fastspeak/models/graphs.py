"""Free-running inference replayed as one CUDA graph (no per-kernel launch cost, no host sync).

A 100-token utterance through FastSpeech 2 launches a few hundred small kernels; on a GPU the
launches, not the arithmetic, set the latency. ``GraphedInference`` records ``model.infer`` once
for a fixed shape (batch, tokens, frames) with ``static_frames`` (so nothing reads predicted
lengths back to the host) and then replays it: copy the inputs into the recorded buffers,
replay, read the outputs. Utterances shorter than the recorded shape are padded; an utterance
whose predicted length exceeds ``frames`` is truncated and flagged in ``truncated``.

    graphed = GraphedInference(model.cuda().eval(), batch_size=1, tokens=128, frames=1024)
    mels, mel_lengths, truncated = graphed(tokens, token_lengths)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["GraphedInference", "GraphedOutput"]


@dataclass
class GraphedOutput:
    """mels: (B, frames, n_mels) postnet mels, zero past each length; mel_lengths: (B,) long;
    truncated: (B,) bool, True where the predicted length exceeded ``frames``."""

    mels: Tensor
    mel_lengths: Tensor
    truncated: Tensor


class GraphedInference:
    """``model.infer`` (FastSpeech 2 or FastSpeech) recorded as a CUDA graph for one shape.

    Args:
        model: an acoustic model on a CUDA device, in eval mode.
        batch_size: B of every call (pad a smaller batch with dummy rows).
        tokens: the longest token sequence a call may pass (N of the recorded graph).
        frames: T of the output (the most frames an utterance may get).
        autocast_dtype: e.g. ``torch.bfloat16`` to record under autocast; None = fp32.
        speed, pitch_semitones, energy_db: controls fixed at recording time.
        warmup: eager calls on a side stream before recording (cuDNN/cuBLAS choose kernels).
    """

    def __init__(
        self,
        model: nn.Module,
        batch_size: int,
        tokens: int,
        frames: int,
        autocast_dtype: torch.dtype | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
        warmup: int = 3,
    ) -> None:
        device = next(model.parameters()).device
        if device.type != "cuda":
            raise ValueError(f"GraphedInference needs a model on a CUDA device (got {device})")
        if model.training:
            raise ValueError("call model.eval() before recording its inference")
        self.model, self.frames = model, frames
        self.controls = {"speed": speed, "pitch_semitones": pitch_semitones, "energy_db": energy_db}
        self.autocast_dtype = autocast_dtype
        self.tokens = torch.zeros(batch_size, tokens, dtype=torch.long, device=device)
        self.tokens[:, 0] = 1  # any valid id: rows are never empty while warming up
        self.token_lengths = torch.ones(batch_size, dtype=torch.long, device=device)
        self.speaker_ids = torch.zeros(batch_size, dtype=torch.long, device=device)
        self.uses_speakers = getattr(model.config, "n_speakers", 0) > 1

        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(warmup):
                self._infer()
        torch.cuda.current_stream(device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.output = self._infer()

    def _infer(self) -> GraphedOutput:
        autocast = torch.autocast(
            "cuda",
            dtype=self.autocast_dtype or torch.float32,
            enabled=self.autocast_dtype is not None,
            cache_enabled=False,  # cached casts would outlive the recording
        )
        with torch.no_grad(), autocast:
            output = self.model.infer(  # type: ignore[operator]
                self.tokens,
                self.token_lengths,
                self.speaker_ids if self.uses_speakers else None,
                static_frames=self.frames,
                **self.controls,
            )
        total = output.durations.sum(dim=1)
        return GraphedOutput(
            mels=output.mels_postnet, mel_lengths=output.mel_lengths, truncated=total > self.frames
        )

    def __call__(
        self, tokens: Tensor, token_lengths: Tensor, speaker_ids: Tensor | None = None
    ) -> GraphedOutput:
        """Replay for tokens (B, N <= tokens) long, token_lengths (B,); outputs are the recorded
        buffers (valid until the next call: clone what you keep)."""
        batch, length = tokens.shape
        if batch != self.tokens.size(0) or length > self.tokens.size(1):
            raise ValueError(
                f"recorded for batch {self.tokens.size(0)} x <= {self.tokens.size(1)} tokens; "
                f"got {batch} x {length}"
            )
        self.tokens.zero_()
        self.tokens[:, :length].copy_(tokens, non_blocking=True)
        self.token_lengths.copy_(token_lengths, non_blocking=True)
        if speaker_ids is not None:
            self.speaker_ids.copy_(speaker_ids, non_blocking=True)
        self.graph.replay()
        return self.output
