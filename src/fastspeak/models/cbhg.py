"""CBHG postnet of xcmyz/FastSpeech (from Tacotron, Wang et al. 2017, section 3.1).

CBHG = a 1-D Convolution Bank (kernels 1..K) + max pooling + conv projections with a
residual, Highway layers, and a bidirectional GRU. xcmyz/FastSpeech runs
``CBHG(n_mels, K=8, projections=[256, n_mels])`` over the decoder's mel and a linear layer
``2 n_mels -> n_mels`` on its output, and adds the result to the mel as a residual;
:class:`CBHGPostNet` is that pair, with :class:`~fastspeak.models.layers.PostNet`'s interface.

Differences from the reference (deliberate): padded frames are zeroed between layers and the
GRU runs on packed sequences, so a padded batch gives the same values at valid frames as each
utterance alone (xcmyz ran the backward GRU over the padding).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from fastspeak.models.layers import MaskedBatchNorm1d
from fastspeak.models.ops import has_padding

__all__ = ["CBHG", "CBHGPostNet", "Highway"]


class BatchNormConv1d(nn.Module):
    """Conv1d (no bias) -> activation -> BatchNorm, on (B, C, T) (Tacotron's order)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, relu: bool):
        super().__init__()
        self.conv = nn.Conv1d(
            in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False
        )
        self.norm = MaskedBatchNorm1d(out_channels)
        self.relu = relu

    def forward(self, x: Tensor, frames: int, padding: Tensor | None = None) -> Tensor:
        """x: (B, C_in, T) -> (B, C_out, T); even kernels give T + 1 outputs, cut to T.
        ``padding`` (B, 1, T), True = padded, keeps padded frames out of the batch norm's
        training statistics."""
        y = self.conv(x)[:, :, :frames]
        return self.norm(torch.relu(y) if self.relu else y, padding)


class Highway(nn.Module):
    """Highway layer (Srivastava et al. 2015): ``H(x) T(x) + x (1 - T(x))``, gate bias -1."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.transform = nn.Linear(channels, channels)
        self.gate = nn.Linear(channels, channels)
        nn.init.constant_(self.gate.bias, -1.0)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, T, C) -> (B, T, C)."""
        gate = torch.sigmoid(self.gate(x))
        return torch.relu(self.transform(x)) * gate + x * (1.0 - gate)


class CBHG(nn.Module):
    """CBHG over a (B, T, C) sequence -> (B, T, 2 C) (bidirectional GRU of C units).

    Args:
        channels: input channels C (n_mels in the postnet).
        bank_size: K, the conv bank holds kernels 1..K (xcmyz: 8).
        projection_channels: channels of the first of the two conv projections (xcmyz: 256;
            the second projects back to C).
        highway_layers: number of highway layers (4).
    """

    def __init__(
        self, channels: int, bank_size: int, projection_channels: int, highway_layers: int
    ) -> None:
        super().__init__()
        self.bank = nn.ModuleList(
            BatchNormConv1d(channels, channels, kernel, relu=True)
            for kernel in range(1, bank_size + 1)
        )
        self.pool = nn.MaxPool1d(kernel_size=2, stride=1, padding=1)
        self.projections = nn.ModuleList(
            [
                BatchNormConv1d(bank_size * channels, projection_channels, 3, relu=True),
                BatchNormConv1d(projection_channels, channels, 3, relu=False),
            ]
        )
        self.highways = nn.ModuleList(Highway(channels) for _ in range(highway_layers))
        self.gru = nn.GRU(channels, channels, batch_first=True, bidirectional=True)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x: (B, T, C) zero at padding; mask: (B, T) bool, True = valid -> (B, T, 2 C),
        zero at padding."""
        frames = x.size(1)
        keep = mask.unsqueeze(1)  # (B, 1, T)
        padding = ~keep if has_padding(mask) else None
        y = x.transpose(1, 2)
        y = torch.cat([conv(y, frames, padding) for conv in self.bank], dim=1)
        y = y.masked_fill(~keep, 0.0)
        # pool output t = max(y[t - 1], y[t]): the first padded frame copies the last valid
        # one, so mask again before the projections read it
        y = self.pool(y)[:, :, :frames].masked_fill(~keep, 0.0)
        for projection in self.projections:
            y = projection(y, frames, padding).masked_fill(~keep, 0.0)
        y = y.transpose(1, 2) + x  # residual
        for highway in self.highways:
            y = highway(y)
        y = y.masked_fill(~mask.unsqueeze(-1), 0.0)
        lengths = mask.sum(dim=1).clamp(min=1).cpu()  # pack needs CPU lengths (one sync)
        packed = pack_padded_sequence(y, lengths, batch_first=True, enforce_sorted=False)
        output, _ = self.gru(packed)
        output, _ = pad_packed_sequence(output, batch_first=True, total_length=frames)
        return output.masked_fill(~mask.unsqueeze(-1), 0.0)


class CBHGPostNet(nn.Module):
    """xcmyz/FastSpeech's postnet: ``Linear(CBHG(mel))``, a residual for the decoder's mel.

    Same interface as :class:`~fastspeak.models.layers.PostNet`:
    ``(mels (B, T, n_mels), mask (B, T)) -> residual (B, T, n_mels)``, zero at padding.
    """

    def __init__(
        self, n_mels: int, bank_size: int, projection_channels: int, highway_layers: int
    ) -> None:
        super().__init__()
        self.cbhg = CBHG(n_mels, bank_size, projection_channels, highway_layers)
        self.linear = nn.Linear(2 * n_mels, n_mels)

    def forward(self, mels: Tensor, mask: Tensor) -> Tensor:
        residual = self.linear(self.cbhg(mels, mask))
        return residual.masked_fill(~mask.unsqueeze(-1), 0.0)
