"""Griffin-Lim vocoder: log-mel -> waveform with no trained weights, batched, on any device.

1. Log-mel -> linear STFT magnitude through the SAME Slaney filterbank as
   :class:`~fastspeak.audio.mel.MelSpectrogram`: ``clamp(pinv(mel_basis) @ exp(mel), 0)``,
   optionally refined by projected-gradient non-negative least squares (``nnls_iter``), and
   optionally sharpened by ``magnitude ** power`` (Tacotron uses 1.5; each item's total
   spectral energy is kept).
2. Phase by fast Griffin-Lim (Perraudin, Balazs and Søndergaard 2013, "A fast Griffin-Lim
   algorithm"; Griffin and Lim 1984): alternate the magnitude projection with the consistency
   projection ``STFT(ISTFT(.))``, with momentum ``t_n = c_n + momentum * (c_n - c_{n-1})``.

The STFT uses the mel's n_fft, hop, window and framing (frame ``t`` centred on sample
``t * hop``). The iterations run on the zero-padded signal (``n_fft // 2`` extra samples each
side, ``center=False`` framing) so no reflect padding enters the loop, and the overlap-add
(``irfft`` + shifted adds) normalises each item by the window envelope of ITS OWN valid
frames: a padded batch gives, item by item, the same samples as running each item alone.

Measured on a piper (en_US-joe-medium) sentence, mean |log-mel| error of mel -> Griffin-Lim ->
mel: 0.69 with no iterations, 0.168 after 8, 0.137 after 32 (0.149 without momentum), 0.130
after 64; librosa's ``mel_to_audio`` (NNLS + 32 fast iterations) gives 0.140.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import Tensor, nn

from fastspeak.audio.mel import MelSpectrogram
from fastspeak.config import AudioConfig
from fastspeak.vocoders.base import checked_lengths

__all__ = ["GriffinLim"]


@functools.lru_cache(maxsize=8)
def _inverse_from_bytes(data: bytes, shape: tuple[int, int]) -> tuple[np.ndarray, float]:
    basis = np.frombuffer(data, dtype=np.float32).reshape(shape).astype(np.float64)
    left, singular, right = np.linalg.svd(basis, full_matrices=False)
    keep = singular > singular[0] * 1e-10  # empty filters (tiny n_fft) have no inverse
    inverse = (right[keep].T / singular[keep]) @ left[:, keep].T  # Moore-Penrose pinv
    # Step 1/L of projected gradient on ||M x - y||^2: L = largest eigenvalue of M^T M.
    return inverse.astype(np.float32), float(1.0 / singular[0] ** 2)


def _inverse_filterbank(mel_basis: Tensor) -> tuple[Tensor, float]:
    """Pseudo-inverse (n_freq, n_mels) of a mel filterbank and the NNLS step (cached by value)."""
    basis = mel_basis.detach().cpu().float().contiguous().numpy()
    inverse, step = _inverse_from_bytes(basis.tobytes(), basis.shape)
    return torch.from_numpy(inverse.copy()), step


class GriffinLim(nn.Module):
    """Fast Griffin-Lim vocoder for fastspeak's log-mel (see the module docstring).

    Args:
        config: the audio settings of the mels it will receive.
        n_iter: Griffin-Lim iterations (32 is a good speed/quality point; more is better).
        momentum: fast Griffin-Lim momentum in [0, 1); 0 is plain Griffin-Lim.
        power: exponent applied to the estimated magnitude before phase recovery (1.0 keeps
            it; 1.2-1.5 sharpens harmonics and reduces the "phasey" noise floor of smeared
            mel inversions, at some cost in mel fidelity). Total energy per item is kept.
        nnls_iter: projected-gradient iterations that refine the clamped pseudo-inverse
            towards the non-negative least-squares magnitude (0 = clamped pseudo-inverse only).
        init: initial phase, ``"random"`` (uniform, from ``seed``; deterministic and the same
            per frame whatever the batch) or ``"zeros"``.
        seed: seed of the random initial phase.

    ``forward(mels, lengths=None)``: mels (B, n_mels, T_mel) natural-log mel, lengths (B,)
    -> (wavs (B, T_mel * hop), wav_lengths (B,) = lengths * hop); see
    :class:`~fastspeak.vocoders.base.Vocoder`. Runs on the device of ``mels``; float64 input is
    computed in float64, anything else in float32.
    """

    window: Tensor
    mel_basis: Tensor
    inverse_basis: Tensor

    def __init__(
        self,
        config: AudioConfig,
        n_iter: int = 32,
        momentum: float = 0.99,
        power: float = 1.0,
        nnls_iter: int = 0,
        init: str = "random",
        seed: int = 0,
    ) -> None:
        super().__init__()
        if n_iter < 0 or nnls_iter < 0:
            raise ValueError(f"n_iter and nnls_iter must be >= 0 (got {n_iter}, {nnls_iter})")
        if not 0.0 <= momentum < 1.0 + 1e-9:
            raise ValueError(f"momentum must be in [0, 1] (got {momentum})")
        if not power > 0:
            raise ValueError(f"power must be > 0 (got {power})")
        if init not in ("random", "zeros"):
            raise ValueError(f"init must be 'random' or 'zeros' (got {init!r})")
        self.config = config
        self.sample_rate = config.sample_rate
        self.hop_length = config.hop_length
        self.n_fft = config.n_fft
        self.n_iter = n_iter
        self.momentum = momentum
        self.power = power
        self.nnls_iter = nnls_iter
        self.init = init
        self.seed = seed

        mel = MelSpectrogram(config)
        # torch.stft centres a short window inside n_fft; do the same once, explicitly.
        left = (config.n_fft - config.win_length) // 2
        window = torch.zeros(config.n_fft)
        window[left : left + config.win_length] = mel.window
        inverse, self.nnls_step = _inverse_filterbank(mel.mel_basis)
        self.register_buffer("window", window, persistent=False)
        self.register_buffer("mel_basis", mel.mel_basis.clone(), persistent=False)
        self.register_buffer("inverse_basis", inverse, persistent=False)  # (n_freq, n_mels)

    @property
    def n_mels(self) -> int:
        return self.mel_basis.shape[0]

    def extra_repr(self) -> str:
        return (
            f"n_iter={self.n_iter}, momentum={self.momentum}, power={self.power}, "
            f"nnls_iter={self.nnls_iter}, init={self.init!r}"
        )

    # -- magnitude ------------------------------------------------------------------------

    def magnitude(self, mels: Tensor, frame_mask: Tensor) -> Tensor:
        """Log-mel (B, n_mels, T) -> linear magnitude (B, n_freq, T), zero on padding frames."""
        dtype, device = mels.dtype, mels.device
        basis = self.mel_basis.to(device, dtype)
        target = torch.exp(mels)  # (B, n_mels, T)
        magnitude = torch.matmul(self.inverse_basis.to(device, dtype), target).clamp_min(0.0)
        for _ in range(self.nnls_iter):
            residual = torch.matmul(basis, magnitude) - target
            step = torch.matmul(basis.T, residual) * self.nnls_step
            magnitude = (magnitude - step).clamp_min(0.0)
        magnitude = magnitude * frame_mask.unsqueeze(1).to(dtype)
        if self.power != 1.0:
            energy = magnitude.square().sum(dim=(1, 2), keepdim=True)
            magnitude = magnitude.pow(self.power)
            sharpened = magnitude.square().sum(dim=(1, 2), keepdim=True)
            magnitude = magnitude * torch.sqrt(energy / sharpened.clamp_min(1e-30))
        return magnitude

    # -- STFT pair on the padded signal ---------------------------------------------------

    def _overlap_add(self, frames: Tensor) -> Tensor:
        """(B, T, n_fft) -> (B, n_fft + hop * (T - 1)): frames summed at hop spacing."""
        batch, count, n_fft = frames.shape
        hop = self.hop_length
        length = n_fft + hop * (count - 1)
        if n_fft % hop == 0:  # the usual case (1024 / 256): R shifted adds of (T, hop) blocks
            blocks = frames.reshape(batch, count, n_fft // hop, hop)
            out = frames.new_zeros(batch, count + n_fft // hop - 1, hop)
            for index in range(n_fft // hop):
                out[:, index : index + count] += blocks[:, :, index]
            return out.reshape(batch, length)
        summed = nn.functional.fold(
            frames.transpose(1, 2),
            output_size=(1, length),
            kernel_size=(1, n_fft),
            stride=(1, hop),
        )
        return summed.reshape(batch, length)

    def _initial_angles(self, batch: int, frames: int, like: Tensor) -> Tensor:
        n_freq = self.n_fft // 2 + 1
        if self.init == "zeros":
            phase = torch.zeros(frames, n_freq, dtype=like.dtype)
        else:
            # Drawn as (T, n_freq) on the CPU: the first T frames are the same for any T_max,
            # on any device, so batched and unbatched runs start identically.
            generator = torch.Generator().manual_seed(self.seed)
            # float32 bits whatever the input's dtype: the same start for float64 mels
            phase = torch.rand(frames, n_freq, generator=generator, dtype=torch.float32)
            phase = phase.to(like.dtype) * (2.0 * math.pi)
        angles = torch.polar(torch.ones_like(phase), phase).to(like.device)
        return angles.unsqueeze(0).expand(batch, -1, -1)  # (B, T, n_freq)

    def forward(self, mels: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        lengths = checked_lengths(mels, lengths, self.n_mels)
        batch, _, frames = mels.shape
        device = mels.device
        dtype = torch.float64 if mels.dtype == torch.float64 else torch.float32
        hop = self.hop_length
        with torch.autocast(device.type, enabled=False):
            mels = mels.to(dtype)
            frame_mask = torch.arange(frames, device=device) < lengths.unsqueeze(1)  # (B, T)
            valid = frame_mask.unsqueeze(1).to(dtype)  # (B, 1, T)
            magnitude = self.magnitude(mels, frame_mask)  # (B, n_freq, T)
            window = self.window.to(device, dtype)

            # Per-item window envelope of the valid frames only (what torch.istft divides by).
            envelope = self._overlap_add(valid.transpose(1, 2) * window.square())
            # Samples covered only by window tails (hop >= win_length / 2 at an item's end)
            # have an envelope near 0: dividing by it would blow them up (x1e8 measured), so
            # the threshold is relative to the item's own envelope.
            floor = 1e-3 * envelope.amax(-1, keepdim=True).clamp_min(1e-8)
            inverse_envelope = torch.where(
                envelope > floor, 1.0 / envelope.clamp_min(1e-8), torch.zeros_like(envelope)
            )
            # Work in (B, T, n_freq): contiguous along frequency for rfft/irfft. Padding frames
            # have zero magnitude, so they add nothing to the overlap-add.
            magnitude = magnitude.transpose(1, 2).contiguous()

            def istft(spectrum: Tensor) -> Tensor:
                frames_ = torch.fft.irfft(spectrum, n=self.n_fft, dim=-1).mul_(window)
                return self._overlap_add(frames_).mul_(inverse_envelope)

            def stft(signal: Tensor) -> Tensor:
                return torch.fft.rfft(signal.unfold(-1, self.n_fft, hop) * window, dim=-1)

            # Iterate on spectrum = magnitude * phase. Momentum (Perraudin 2013):
            # t_n = c_n + a (c_n - c_{n-1}) has the phase of c_n - a / (1 + a) c_{n-1}
            # (c_0 = 0: the first step is plain Griffin-Lim).
            spectrum = magnitude * self._initial_angles(batch, frames, magnitude)
            previous = torch.zeros_like(spectrum)
            weight = self.momentum / (1.0 + self.momentum)
            for _ in range(self.n_iter):
                rebuilt = stft(istft(spectrum))
                # Done on (re, im) pairs: complex sub/abs/products are several times slower
                # on CPU. spectrum = magnitude * accelerated / |accelerated|.
                pairs = torch.view_as_real(rebuilt).sub(torch.view_as_real(previous), alpha=weight)
                real, imaginary = pairs[..., 0], pairs[..., 1]
                scale = (real * real).addcmul_(imaginary, imaginary)
                scale.clamp_min_(1e-30).rsqrt_().mul_(magnitude)
                spectrum = torch.view_as_complex(pairs.mul_(scale.unsqueeze(-1)))
                previous = rebuilt
            signal = istft(spectrum)
            needed = self.n_fft // 2 + frames * hop
            if signal.shape[-1] < needed:  # hop > n_fft / 2: the last samples have no frame
                signal = nn.functional.pad(signal, (0, needed - signal.shape[-1]))

            start = self.n_fft // 2
            wavs = signal[:, start : start + frames * hop]
            wav_lengths = lengths * hop
            sample_mask = torch.arange(frames * hop, device=device) < wav_lengths.unsqueeze(1)
            wavs = wavs * sample_mask.to(dtype)
        return wavs, wav_lengths
