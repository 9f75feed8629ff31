"""Masks, the vectorised length regulator and the FFT layers, against naive references."""

from __future__ import annotations

import math

import pytest
import torch

from fastspeak.models.layers import (
    FFTStack,
    MultiHeadSelfAttention,
    PostNet,
    SinusoidalPositionalEncoding,
    sinusoidal_positions,
)
from fastspeak.models.ops import regulate_length, sequence_mask
from fastspeak.models.variance import VariancePredictor, durations_from_log


def naive_regulate(hidden: torch.Tensor, durations: torch.Tensor, max_length: int | None):
    """The reference Python loop (ming024's LengthRegulator semantics, plus truncation)."""
    rows = []
    for b in range(hidden.size(0)):
        frames = [hidden[b, n] for n in range(hidden.size(1)) for _ in range(int(durations[b, n]))]
        rows.append(frames)
    lengths = [len(r) for r in rows]
    t = max(lengths) if max_length is None else max_length
    out = torch.zeros(hidden.size(0), t, hidden.size(2), dtype=hidden.dtype)
    for b, frames in enumerate(rows):
        for i, frame in enumerate(frames[:t]):
            out[b, i] = frame
    return out, torch.tensor([min(n, t) for n in lengths])


def test_sequence_mask_true_is_valid() -> None:
    mask = sequence_mask(torch.tensor([3, 0, 1]))
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[True, True, True], [False, False, False], [True, False, False]]
    assert sequence_mask(torch.tensor([2]), max_length=4).tolist() == [[True, True, False, False]]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_length", [None, 1, 7, 40])
def test_regulate_length_matches_naive_loop(seed: int, max_length: int | None) -> None:
    generator = torch.Generator().manual_seed(seed)
    batch, tokens, channels = 4, 9, 3
    hidden = torch.randn(batch, tokens, channels, generator=generator)
    durations = torch.randint(0, 5, (batch, tokens), generator=generator)
    durations[durations == 3] = 0  # plenty of zero durations
    durations[1] = 0  # an all-zero row
    durations[2, 5:] = 0  # a padded row
    expected, expected_lengths = naive_regulate(hidden, durations, max_length)
    expanded, mel_lengths = regulate_length(hidden, durations, max_length)
    assert expanded.shape == expected.shape
    torch.testing.assert_close(expanded, expected, rtol=0, atol=0)
    assert mel_lengths.tolist() == expected_lengths.tolist()
    assert mel_lengths[1] == 0


def test_regulate_length_gradient_reaches_hidden() -> None:
    hidden = torch.randn(2, 5, 4, requires_grad=True)
    durations = torch.tensor([[1, 0, 3, 2, 1], [4, 1, 0, 0, 0]])
    expanded, _ = regulate_length(hidden, durations)
    expanded.sum().backward()
    assert hidden.grad is not None
    # each token's gradient counts the frames it was copied to
    torch.testing.assert_close(hidden.grad, durations.float().unsqueeze(-1).expand(-1, -1, 4))


def test_regulate_length_long_sequences_are_not_truncated() -> None:
    hidden = torch.randn(2, 400, 2)
    durations = torch.full((2, 400), 3)
    expanded, mel_lengths = regulate_length(hidden, durations)
    assert expanded.shape == (2, 1200, 2) and mel_lengths.tolist() == [1200, 1200]
    torch.testing.assert_close(expanded[:, 1197], hidden[:, 399])


def test_durations_from_log_rounds_divides_and_keeps_one_frame() -> None:
    mask = sequence_mask(torch.tensor([3, 2]), 3)
    log_d = torch.log1p(torch.tensor([[3.0, 0.2, 5.0], [0.1, 0.3, 9.0]]))
    assert durations_from_log(log_d, mask).tolist() == [[3, 0, 5], [0, 1, 0]]
    assert durations_from_log(log_d, mask, speed=2.0).tolist() == [[2, 0, 2], [0, 1, 0]]
    per_token = torch.tensor([[1.0, 1.0, 0.5], [1.0, 1.0, 1.0]])
    assert durations_from_log(log_d, mask, speed=per_token)[0].tolist() == [3, 0, 10]
    # everything rounds to zero -> the longest token gets one frame
    tiny = torch.log1p(torch.tensor([[0.1, 0.4, 0.2]]))
    assert durations_from_log(tiny, torch.ones(1, 3, dtype=torch.bool)).tolist() == [[0, 1, 0]]
    with pytest.raises(ValueError, match="speed must be > 0"):
        durations_from_log(log_d, mask, speed=0.0)


def test_sinusoidal_positions_any_length() -> None:
    encoding = SinusoidalPositionalEncoding(6, cached_length=10)
    long = encoding.positions(25)
    assert long.shape == (25, 6)
    torch.testing.assert_close(long[:10], encoding.table)
    pos, i = 17, 2  # channel 2i is sin(pos / 10000^(2i/C)), channel 2i+1 the cos
    angle = pos / 10000 ** (2 * i / 6)
    assert math.isclose(float(long[pos, 2 * i]), math.sin(angle), abs_tol=1e-5)
    assert math.isclose(float(long[pos, 2 * i + 1]), math.cos(angle), abs_tol=1e-5)
    assert sinusoidal_positions(4, 5).shape == (4, 5)  # odd channel counts too


def test_attention_ignores_padded_keys_and_empty_rows_are_finite() -> None:
    torch.manual_seed(0)
    attention = MultiHeadSelfAttention(8, 2)
    x = torch.randn(1, 5, 8)
    mask = sequence_mask(torch.tensor([3]), 5)
    changed = x.clone()
    changed[:, 3:] = 100.0
    torch.testing.assert_close(attention(x, mask)[:, :3], attention(changed, mask)[:, :3])
    empty = attention(x, torch.zeros(1, 5, dtype=torch.bool))
    assert torch.isfinite(empty).all()


def _padding_invariant(module, make_input, lengths: list[int], channels: int) -> None:
    """A padded batch gives each item's unpadded output at its valid positions."""
    torch.manual_seed(1)
    items = [make_input(n, channels) for n in lengths]
    longest = max(lengths)
    batch = torch.zeros(len(items), longest, channels)
    for b, item in enumerate(items):
        batch[b, : item.size(0)] = item
    mask = sequence_mask(torch.tensor(lengths), longest)
    batched = module(batch, mask)
    for b, item in enumerate(items):
        single = module(item.unsqueeze(0), torch.ones(1, item.size(0), dtype=torch.bool))
        torch.testing.assert_close(batched[b, : lengths[b]], single[0], atol=1e-5, rtol=1e-5)
        assert (batched[b, lengths[b] :] == 0).all()


def test_fft_stack_predictor_and_postnet_are_padding_invariant() -> None:
    torch.manual_seed(0)
    stack = FFTStack(2, 16, 2, 32, (9, 1), 0.1, cached_length=4).eval()
    _padding_invariant(lambda x, m: stack(x, mask=m), torch.randn, [7, 3, 12], 16)
    predictor = VariancePredictor(16, 8, 3, 0.5).eval()
    _padding_invariant(predictor, torch.randn, [5, 2, 9], 16)
    postnet = PostNet(4, 8, 5, 3, 0.5).eval()
    _padding_invariant(postnet, torch.randn, [6, 11, 1], 4)
    # lengths beyond the cached table work, and lengths= equals mask=
    x = torch.randn(2, 30, 16)
    lengths = torch.tensor([30, 17])
    torch.testing.assert_close(stack(x, lengths=lengths), stack(x, mask=sequence_mask(lengths)))
