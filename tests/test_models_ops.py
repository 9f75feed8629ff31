"""Masks, the vectorised length regulator and the FFT layers, against naive references."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from fastspeak.models.cbhg import CBHGPostNet
from fastspeak.models.layers import (
    FFTStack,
    MaskedBatchNorm1d,
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


def test_masked_batch_norm_learns_from_valid_frames_only() -> None:
    """Training statistics over the valid frames: the same outputs and running statistics as
    nn.BatchNorm1d over those frames packed with no padding (the naive reference), whatever
    the padding holds."""
    torch.manual_seed(0)
    lengths = [6, 11, 3]
    mask = sequence_mask(torch.tensor(lengths))  # (B, T)
    x = torch.randn(3, 8, 11).masked_fill(~mask[:, None], 0.0)  # (B, C, T)
    norm, reference = MaskedBatchNorm1d(8).train(), nn.BatchNorm1d(8).train()
    with torch.no_grad():  # non-trivial affine parameters
        norm.weight.uniform_(0.5, 2.0), norm.bias.uniform_(-1.0, 1.0)
    reference.load_state_dict(norm.state_dict())
    out = norm(x, ~mask[:, None])
    packed = torch.cat([x[b, :, :length] for b, length in enumerate(lengths)], dim=1)
    expected = reference(packed[None])[0]
    torch.testing.assert_close(
        torch.cat([out[b, :, :length] for b, length in enumerate(lengths)], dim=1), expected
    )
    torch.testing.assert_close(norm.running_mean, reference.running_mean)
    torch.testing.assert_close(norm.running_var, reference.running_var)
    assert int(norm.num_batches_tracked) == 1
    polluted = MaskedBatchNorm1d(8).train()
    polluted.load_state_dict(norm.state_dict())
    again = polluted(x.masked_fill(~mask[:, None], 7.0), ~mask[:, None])
    norm(x, ~mask[:, None])
    torch.testing.assert_close(again[mask[:, None].expand_as(x)], out[mask[:, None].expand_as(x)])
    torch.testing.assert_close(polluted.running_var, norm.running_var)
    # a batch of padding alone is finite and leaves the running statistics as they were
    before = {name: buffer.clone() for name, buffer in norm.named_buffers()}
    empty = ~sequence_mask(torch.tensor([0, 0]), 11)[:, None]
    assert torch.isfinite(norm(torch.randn(2, 8, 11), empty)).all()
    torch.testing.assert_close(norm.running_mean, before["running_mean"])
    torch.testing.assert_close(norm.running_var, before["running_var"])
    # eval mode (and no mask) is nn.BatchNorm1d
    reference.load_state_dict(norm.state_dict())
    norm.eval(), reference.eval()
    torch.testing.assert_close(norm(x, ~mask[:, None]), reference(x))


@pytest.mark.parametrize(
    "make", [lambda: PostNet(4, 8, 5, 3, 0.0), lambda: CBHGPostNet(4, 4, 8, 2)]
)
def test_postnets_in_training_do_not_depend_on_the_padding(make) -> None:
    """The same utterances padded to 11 or to 25 frames give the same training outputs and
    batch-norm statistics (nn.BatchNorm1d would count the extra padding)."""
    torch.manual_seed(0)
    lengths = torch.tensor([6, 11, 3])
    short_mask, long_mask = sequence_mask(lengths), sequence_mask(lengths, 25)
    mels = torch.randn(3, 11, 4).masked_fill(~short_mask[..., None], 0.0)
    padded = torch.cat([mels, torch.zeros(3, 14, 4)], dim=1)
    short, long = make().train(), None
    long = copy.deepcopy(short)
    out_short, out_long = short(mels, short_mask), long(padded, long_mask)
    valid = short_mask[..., None].expand_as(mels)
    torch.testing.assert_close(out_long[:, :11][valid], out_short[valid])
    for (name, buffer), other in zip(short.named_buffers(), long.buffers(), strict=True):
        torch.testing.assert_close(buffer, other, msg=name)
