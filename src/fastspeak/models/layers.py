"""Feed-Forward Transformer (FFT) building blocks (FastSpeech, section 3.1; FastSpeech 2, fig. 1).

All modules take and return (B, T, C) tensors and a (B, T) bool mask, True = valid
(see :mod:`fastspeak.models.ops`). Padded positions are zero on output, so a padded batch
gives the same values at valid positions as each item alone.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fastspeak.models.ops import has_padding, masked_fill_padding, sequence_mask

__all__ = [
    "ConvFeedForward",
    "Dropout",
    "FFTBlock",
    "FFTStack",
    "MaskedBatchNorm1d",
    "MultiHeadSelfAttention",
    "PostNet",
    "SinusoidalPositionalEncoding",
    "sinusoidal_positions",
]


def sinusoidal_positions(length: int, channels: int, device: torch.device | None = None) -> Tensor:
    """Transformer positional encoding (Vaswani et al. 2017, section 3.5).

    Returns (length, channels) float32: ``sin(pos / 10000^(2i/C))`` at even channels and
    ``cos(...)`` at odd channels; computed for any length.
    """
    position = torch.arange(length, dtype=torch.float32, device=device).unsqueeze(1)
    rates = torch.exp(
        torch.arange(0, channels, 2, dtype=torch.float32, device=device)
        * (-math.log(10000.0) / channels)
    )
    angles = position * rates  # (length, ceil(C / 2))
    interleaved = torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1)
    return interleaved.reshape(angles.size(0), -1)[:, :channels]  # sin, cos, sin, ...


class Dropout(nn.Dropout):
    """``nn.Dropout`` (same module, no parameters) with a faster CPU mask.

    Keeps each element with probability ``1 - p`` and scales by ``1 / (1 - p)``, exactly the
    distribution of ``F.dropout``, but draws the mask as ``rand >= p``: on CPU that is about
    twice as fast as the ``bernoulli_`` that ``F.dropout`` uses (dropout was ~5 % of a CPU
    training step of the LJSpeech model). On other devices it defers to ``F.dropout``.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0 or x.device.type != "cpu":
            return super().forward(x)
        if self.p >= 1.0:
            return torch.zeros_like(x)
        keep = torch.rand(x.shape, device=x.device) >= self.p
        return x * keep.to(x.dtype) * (1.0 / (1.0 - self.p))


class SinusoidalPositionalEncoding(nn.Module):
    """Adds sinusoidal positions to (B, T, C) inputs, for any T.

    A table of ``cached_length`` positions is kept as a non-persistent buffer (not in
    checkpoints); longer inputs get positions computed on the fly — nothing is truncated
    (ming024's decoder silently cut mels over ``max_seq_len`` frames).
    """

    table: Tensor

    def __init__(self, channels: int, cached_length: int = 1000) -> None:
        super().__init__()
        self.channels = channels
        self.register_buffer(
            "table", sinusoidal_positions(cached_length, channels), persistent=False
        )

    def positions(self, length: int) -> Tensor:
        """(length, C) encoding on the buffer's device. A traced graph (ONNX export) computes
        it from ``length`` (a cached slice would fix the graph to ``cached_length`` frames)."""
        if length <= self.table.size(0) and not torch.jit.is_tracing():
            return self.table[:length]
        return sinusoidal_positions(length, self.channels, device=self.table.device)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, T, C) -> (B, T, C) with positions added."""
        return x + self.positions(x.size(1)).to(x.dtype)


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention with a key padding mask, via ``F.scaled_dot_product_attention``.

    Queries at padded positions still see the valid keys (their output is zeroed by the block).
    A row with no valid position at all attends everywhere instead of producing NaN.
    ``mask=None`` means no padding: SDPA runs without a mask.
    """

    def __init__(self, channels: int, heads: int) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"channels ({channels}) must be divisible by heads ({heads})")
        self.heads = heads
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        """x: (B, T, C); mask: (B, T) bool, True = valid, or None (no padding) -> (B, T, C)."""
        batch, length, channels = x.shape
        query, key, value = (
            self.qkv(x)
            .view(batch, length, 3, self.heads, channels // self.heads)
            .permute(2, 0, 3, 1, 4)  # (3, B, H, T, D)
        )
        keys = None
        if mask is not None:  # empty rows: attend everywhere, no NaN
            keys = (mask | ~mask.any(dim=1, keepdim=True))[:, None, None, :]
        attended = F.scaled_dot_product_attention(query, key, value, attn_mask=keys)
        return self.out(attended.transpose(1, 2).reshape(batch, length, channels))


class ConvFeedForward(nn.Module):
    """FFT position-wise feed-forward: Conv1d(k0) -> ReLU -> Conv1d(k1) -> dropout.

    Takes and returns (B, T, C); the (B, C, T) transposes for Conv1d stay inside.
    ming024 LJSpeech: filter 1024, kernels (9, 1).
    """

    def __init__(
        self, channels: int, filter_size: int, kernel_sizes: tuple[int, int], dropout: float
    ) -> None:
        super().__init__()
        first, second = kernel_sizes
        self.conv1 = nn.Conv1d(channels, filter_size, first, padding=first // 2)
        self.conv2 = nn.Conv1d(filter_size, channels, second, padding=second // 2)
        self.dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, T, C), zero at padded positions -> (B, T, C)."""
        y = self.conv2(torch.relu(self.conv1(x.transpose(1, 2))))
        return self.dropout(y.transpose(1, 2))


class FFTBlock(nn.Module):
    """Feed-Forward Transformer block, post-LN residuals as in the paper and ming024::

        x = LayerNorm(x + Dropout(SelfAttention(x)))
        x = LayerNorm(x + ConvFeedForward(x))

    with padded positions zeroed after each sub-layer (``mask=None``: no padding, nothing to
    zero).
    """

    def __init__(
        self,
        channels: int,
        heads: int,
        filter_size: int,
        kernel_sizes: tuple[int, int],
        dropout: float,
    ) -> None:
        super().__init__()
        self.attention = MultiHeadSelfAttention(channels, heads)
        self.attention_dropout = Dropout(dropout)
        self.attention_norm = nn.LayerNorm(channels)
        self.feed_forward = ConvFeedForward(channels, filter_size, kernel_sizes, dropout)
        self.feed_forward_norm = nn.LayerNorm(channels)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        """x: (B, T, C) zero at padding; mask: (B, T) bool, True = valid, or None -> (B, T, C)."""
        x = self.attention_norm(x + self.attention_dropout(self.attention(x, mask)))
        if mask is not None:
            x = masked_fill_padding(x, mask)
        x = self.feed_forward_norm(x + self.feed_forward(x))
        return x if mask is None else masked_fill_padding(x, mask)


class FFTStack(nn.Module):
    """Positional encoding + N FFT blocks: the FastSpeech encoder and decoder."""

    def __init__(
        self,
        layers: int,
        channels: int,
        heads: int,
        filter_size: int,
        kernel_sizes: tuple[int, int],
        dropout: float,
        cached_length: int = 1000,
    ) -> None:
        super().__init__()
        self.positional_encoding = SinusoidalPositionalEncoding(channels, cached_length)
        self.blocks = nn.ModuleList(
            FFTBlock(channels, heads, filter_size, kernel_sizes, dropout) for _ in range(layers)
        )

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None
    ) -> Tensor:
        """Encode a padded sequence.

        Args:
            x: (B, T, C) inputs.
            lengths: (B,) valid lengths, or
            mask: (B, T) bool, True = valid (give one of the two).
        Returns:
            (B, T, C), zero at padded positions.
        """
        if mask is None:
            if lengths is None:
                raise ValueError("FFTStack needs lengths or mask")
            mask = sequence_mask(lengths, x.size(1))
        x = masked_fill_padding(self.positional_encoding(x), mask)
        # No padding (one utterance, equal lengths): blocks skip the attention mask and the
        # zeroing. One host sync per stack; the mask is the same for every block.
        block_mask = mask if has_padding(mask) else None
        for block in self.blocks:
            x = block(x, block_mask)
        return x


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d over (B, C, T) whose training statistics count the valid frames only.

    ``nn.BatchNorm1d`` averages over every frame of a padded batch, so in training a frame's
    output depends on how much padding shares its batch, and the running statistics used at
    inference drift toward the padding's values (ming024's and xcmyz's postnets do this).
    Given ``padding`` (B, 1, T), True = padded, the batch mean and variance and the running
    statistics' update here use the valid frames alone (statistics in float32). Without it,
    and in eval mode, this is ``nn.BatchNorm1d``; parameters and buffers are the same, so state
    dicts load either way.
    """

    def forward(self, x: Tensor, padding: Tensor | None = None) -> Tensor:
        """x: (B, C, T); padding: (B, 1, T) bool or None -> (B, C, T)."""
        if padding is None or not self.training:
            return super().forward(x)
        valid = (~padding).float()
        values = x.float()
        count = valid.sum()
        seen = (count > 0).float()  # a batch of padding alone leaves the running stats be
        count = count.clamp(min=1)
        mean = (values * valid).sum(dim=(0, 2)) / count  # (C,)
        centered = (values - mean[:, None]) * valid
        variance = centered.square().sum(dim=(0, 2)) / count  # biased, as BatchNorm normalises
        if self.track_running_stats:
            assert self.running_mean is not None and self.running_var is not None
            assert self.num_batches_tracked is not None
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                momentum = (
                    self.momentum
                    if self.momentum is not None
                    else 1.0 / float(self.num_batches_tracked)
                )
                unbiased = variance * count / (count - 1).clamp(min=1)
                self.running_mean.lerp_(mean, momentum * seen)
                self.running_var.lerp_(unbiased, momentum * seen)
        normalized = (values - mean[:, None]) * torch.rsqrt(variance[:, None] + self.eps)
        if self.affine:
            normalized = normalized * self.weight[:, None] + self.bias[:, None]
        return normalized.to(x.dtype)


class PostNet(nn.Module):
    """Tacotron 2 postnet (5 x Conv1d k5 512ch + BatchNorm, tanh except last, dropout 0.5).

    Predicts a residual added to the decoder's mel. Padded frames are zeroed between layers
    so padding does not leak into valid frames through the convolutions, and the batch norms
    count valid frames only (:class:`MaskedBatchNorm1d`), so in training too a padded batch
    gives each item's values.
    """

    def __init__(
        self, n_mels: int, channels: int, kernel_size: int, layers: int, dropout: float
    ) -> None:
        super().__init__()
        sizes = [n_mels] + [channels] * (layers - 1) + [n_mels]
        self.convs = nn.ModuleList(
            nn.Conv1d(sizes[i], sizes[i + 1], kernel_size, padding=kernel_size // 2)
            for i in range(layers)
        )
        self.norms = nn.ModuleList(MaskedBatchNorm1d(sizes[i + 1]) for i in range(layers))
        self.dropout = Dropout(dropout)

    def forward(self, mels: Tensor, mask: Tensor) -> Tensor:
        """mels: (B, T, n_mels) zero at padding; mask: (B, T) -> residual (B, T, n_mels)."""
        padding = ~mask.unsqueeze(1) if has_padding(mask) else None  # (B, 1, T)
        x = mels.transpose(1, 2)
        last = len(self.convs) - 1
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            x = norm(conv(x), padding)
            if i < last:
                x = torch.tanh(x)
            x = self.dropout(x)
            if padding is not None:
                x = x.masked_fill(padding, 0.0)
        return x.transpose(1, 2)


def encode_tokens(
    token_embedding: nn.Embedding,
    encoder: nn.Module,
    speaker_embedding: nn.Embedding | None,
    tokens: Tensor,
    token_lengths: Tensor,
    speaker_ids: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """Embed and encode tokens, adding the speaker embedding (FastSpeech and FastSpeech 2 alike).

    tokens: (B, N) long; token_lengths: (B,); speaker_ids: (B,) or None.
    Returns (hidden (B, N, C) with padding zeroed, token_mask (B, N) True = valid).
    """
    token_mask = sequence_mask(token_lengths, tokens.size(1))
    hidden = encoder(token_embedding(tokens), mask=token_mask)
    if speaker_embedding is not None:
        if speaker_ids is None:
            raise ValueError(
                f"this model has {speaker_embedding.num_embeddings} speakers: pass speaker_ids (B,)"
            )
        hidden = masked_fill_padding(
            hidden + speaker_embedding(speaker_ids).unsqueeze(1), token_mask
        )
    return hidden, token_mask
