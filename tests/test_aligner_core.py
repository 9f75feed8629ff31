"""The learned aligner's parts: MAS against a naive DP, the beta-binomial prior, the losses,
the boundary-error metric."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from fastspeak.aligners.losses import AlignerLoss, binarization_loss, forward_sum_loss
from fastspeak.aligners.mas import durations_to_attention, monotonic_alignment_search
from fastspeak.aligners.metrics import boundary_errors, boundary_offsets
from fastspeak.aligners.model import Aligner, fold_transitions, interleave_transitions
from fastspeak.aligners.prior import batch_log_prior, beta_binomial_prior
from fastspeak.config import AlignerConfig, ConfigError, load_config


def naive_mas(log_probs: list[list[float]]) -> list[int]:
    """Reference: the DP of Glow-TTS algorithm 1 cell by cell in Python floats (float64)."""
    tokens, frames = len(log_probs), len(log_probs[0])
    value = [[-math.inf] * frames for _ in range(tokens)]
    value[0][0] = log_probs[0][0]
    for t in range(1, frames):
        for n in range(min(tokens, t + 1)):
            previous = value[n - 1][t - 1] if n > 0 else -math.inf
            value[n][t] = max(value[n][t - 1], previous) + log_probs[n][t]
    path = [0] * frames
    n = tokens - 1
    for t in range(frames - 1, -1, -1):
        path[t] = n
        if n > 0 and (n == t or value[n - 1][t - 1] > value[n][t - 1]):
            n -= 1
    return [path.count(index) for index in range(tokens)]


@pytest.mark.parametrize("implementation", ["numba", "torch"])
@pytest.mark.parametrize("seed", range(6))
def test_mas_equals_naive_dp_on_random_padded_batches(seed: int, implementation: str) -> None:
    generator = torch.Generator().manual_seed(seed)
    batch = 5
    token_lengths = torch.randint(1, 9, (batch,), generator=generator)
    mel_lengths = token_lengths + torch.randint(0, 25, (batch,), generator=generator)
    token_lengths[0], mel_lengths[0] = 7, 7  # T == N: one frame per token
    token_lengths[1], mel_lengths[1] = 1, 13  # one token takes every frame
    log_probs = torch.randn(batch, 10, 40, generator=generator).double()
    if seed % 2:  # ties: a quantised matrix has many equal path scores
        log_probs = log_probs.round()
    log_probs[2, :, 3] = -math.inf  # a frame where every token is impossible
    durations = monotonic_alignment_search(
        log_probs, token_lengths, mel_lengths, implementation=implementation
    )
    assert durations.dtype == torch.long and durations.shape == (batch, 10)
    for b in range(batch):
        n, t = int(token_lengths[b]), int(mel_lengths[b])
        expected = naive_mas(log_probs[b, :n, :t].tolist())
        assert durations[b, :n].tolist() == expected
        assert int(durations[b].sum()) == t
        assert (durations[b, :n] >= 1).all() and (durations[b, n:] == 0).all()


def test_mas_follows_an_obvious_path_and_rejects_too_few_frames() -> None:
    true = torch.tensor([[3, 1, 4, 2]])
    attention = durations_to_attention(true)  # (1, 4, 10) one-hot
    log_probs = torch.log(attention * 0.9 + 0.01)
    found = monotonic_alignment_search(log_probs, torch.tensor([4]), torch.tensor([10]))
    assert found.tolist() == true.tolist()
    with pytest.raises(ValueError, match="4 tokens and 3 frames"):
        monotonic_alignment_search(log_probs[:, :, :3], torch.tensor([4]), torch.tensor([3]))


def test_durations_to_attention_is_a_one_hot_path() -> None:
    attention = durations_to_attention(torch.tensor([[2, 1, 0], [1, 1, 1]]), max_frames=4)
    assert attention.shape == (2, 3, 4)
    assert attention[0].tolist() == [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert attention[1].tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]


@pytest.mark.parametrize(("tokens", "frames"), [(1, 1), (1, 7), (5, 5), (12, 40), (30, 9)])
def test_beta_binomial_prior_is_a_distribution_along_the_diagonal(tokens: int, frames: int) -> None:
    prior = beta_binomial_prior(tokens, frames)
    assert prior.shape == (tokens, frames)
    assert torch.allclose(prior.sum(0), torch.ones(frames, dtype=torch.float64))
    assert (prior >= 0).all()
    if tokens > 1 and frames > 2:  # the expected token index moves forward with the frame
        mean_index = (prior * torch.arange(tokens).unsqueeze(1)).sum(0)
        assert (mean_index.diff() > 0).all()
        assert mean_index[0] < tokens / 2 < mean_index[-1]


def test_prior_matches_scipy_betabinom() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    tokens, frames, scaling = 9, 21, 0.5
    expected = np.stack(
        [
            scipy_stats.betabinom(tokens - 1, scaling * t, scaling * (frames + 1 - t)).pmf(
                np.arange(tokens)
            )
            for t in range(1, frames + 1)
        ],
        axis=1,
    )
    assert np.allclose(beta_binomial_prior(tokens, frames, scaling).numpy(), expected)


def test_batch_log_prior_places_each_utterance_top_left() -> None:
    prior = batch_log_prior(torch.tensor([3, 5]), torch.tensor([8, 6]))
    assert prior.shape == (2, 5, 8)
    expected = torch.log(beta_binomial_prior(3, 8) + 1e-8).float()
    assert torch.equal(prior[0, :3, :8], expected)
    assert (prior[0, 3:] == 0).all() and (prior[1, :, 6:] == 0).all()


def tiny_config(**changes: object) -> AlignerConfig:
    values: dict[str, object] = {
        "vocab_size": 12,
        "n_mels": 8,
        "text_channels": 16,
        "attention_channels": 8,
    }
    values.update(changes)
    return AlignerConfig(**values)  # type: ignore[arg-type]


def synthetic_batch(generator: torch.Generator, batch: int = 4):
    """Mels that are a noisy function of the token under them (each token 2-6 frames; no
    token repeats its neighbour, so the true boundaries are identifiable)."""
    token_lengths = torch.randint(3, 8, (batch,), generator=generator)
    tokens = torch.zeros(batch, 7, dtype=torch.long)
    durations = torch.zeros(batch, 7, dtype=torch.long)
    for b in range(batch):
        n = int(token_lengths[b])
        tokens[b, :n] = torch.randint(1, 12, (n,), generator=generator)
        for index in range(1, n):
            if tokens[b, index] == tokens[b, index - 1]:
                tokens[b, index] = tokens[b, index] % 11 + 1
        durations[b, :n] = torch.randint(2, 7, (n,), generator=generator)
    mel_lengths = durations.sum(1)
    table = torch.randn(12, 8, generator=torch.Generator().manual_seed(99)) * 2
    frames = int(mel_lengths.max())
    attention = durations_to_attention(durations, frames)  # (B, N, T)
    mels = torch.einsum("bnt,bnc->btc", attention, table[tokens])
    mels = mels + 0.1 * torch.randn(mels.shape, generator=generator)
    mels = mels * (attention.sum(1, keepdim=True).transpose(1, 2) > 0)
    return tokens, token_lengths, mels, mel_lengths, durations


def test_aligner_output_shapes_masks_and_padding_invariance() -> None:
    torch.manual_seed(0)
    aligner = Aligner(tiny_config()).eval()
    tokens, token_lengths, mels, mel_lengths, _ = synthetic_batch(torch.Generator().manual_seed(1))
    out = aligner(tokens, token_lengths, mels, mel_lengths)
    batch, n, t = tokens.size(0), tokens.size(1), mels.size(1)
    assert out.soft_attention.shape == out.log_attention.shape == (batch, n, t)
    assert out.hard_attention.shape == (batch, n, t) and out.durations.shape == (batch, n)
    valid = out.mel_mask.unsqueeze(1).expand(-1, n, -1)
    sums = out.soft_attention.sum(1)
    assert torch.allclose(sums[out.mel_mask], torch.ones(int(mel_lengths.sum())), atol=1e-5)
    assert (out.soft_attention[~valid] == 0).all()
    assert torch.equal(out.durations.sum(1), mel_lengths)
    assert torch.equal(out.hard_attention.sum(2).long(), out.durations)
    # each utterance alone gives the same attention as inside the padded batch
    for b in range(batch):
        nb, tb = int(token_lengths[b]), int(mel_lengths[b])
        alone = aligner(
            tokens[b : b + 1, :nb],
            token_lengths[b : b + 1],
            mels[b : b + 1, :tb],
            mel_lengths[b : b + 1],
        )
        assert torch.allclose(alone.log_attention[0], out.log_attention[b, :nb, :tb], atol=1e-4)
        assert torch.equal(alone.durations[0], out.durations[b, :nb])


def test_forward_sum_loss_matches_per_utterance_ctc_and_is_finite_with_padding() -> None:
    generator = torch.Generator().manual_seed(3)
    token_lengths, mel_lengths = torch.tensor([3, 5, 2]), torch.tensor([9, 5, 12])
    scores = torch.randn(3, 5, 12, generator=generator)
    scores[0, 3:] = float("nan")  # padding must never matter
    scores[2, :, 12:] = 0
    loss = forward_sum_loss(scores, token_lengths, mel_lengths)
    assert torch.isfinite(loss)
    per_utterance = []
    for b in range(3):
        n, t = int(token_lengths[b]), int(mel_lengths[b])
        padded = torch.cat([torch.full((1, t), -1.0), scores[b, :n, :t]], 0)
        log_probs = torch.log_softmax(padded, 0).T.unsqueeze(1)  # (T, 1, n + 1)
        nll = torch.nn.functional.ctc_loss(
            log_probs,
            torch.arange(1, n + 1).unsqueeze(0),
            torch.tensor([t]),
            torch.tensor([n]),
            reduction="sum",
        )
        per_utterance.append(nll / n)
    assert torch.allclose(loss, torch.stack(per_utterance).mean(), atol=1e-5)
    scores.requires_grad_(True)
    forward_sum_loss(scores, token_lengths, mel_lengths).backward()
    assert scores.grad is not None and torch.isfinite(scores.grad).all()


def test_aligner_loss_decreases_on_a_tiny_synthetic_problem() -> None:
    torch.manual_seed(0)
    config = tiny_config(temperature=0.05, binarization_start_step=40, binarization_warmup_steps=5)
    aligner = Aligner(config)
    criterion = AlignerLoss(config)
    optimizer = torch.optim.Adam(aligner.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(5)
    batches = [synthetic_batch(generator) for _ in range(4)]
    losses = []
    for step in range(1, 61):
        tokens, token_lengths, mels, mel_lengths, _ = batches[step % 4]
        total, terms = criterion(aligner(tokens, token_lengths, mels, mel_lengths), step)
        assert torch.isfinite(total)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        losses.append(float(terms["forward_sum"]))
    assert sum(losses[-4:]) < 0.75 * sum(losses[:4])
    assert float(terms["binarization_weight"]) == 1.0
    # and the durations it finds are the true ones up to a fraction of a frame (an untrained
    # aligner is off by more than a frame per boundary on these batches)
    assert mean_boundary_offset(aligner.eval(), batches) < 0.4


def mean_boundary_offset(aligner: Aligner, batches: list) -> float:
    offsets = []
    for tokens, token_lengths, mels, mel_lengths, durations in batches:
        found = aligner(tokens, token_lengths, mels, mel_lengths).durations
        for b, n in enumerate(token_lengths.tolist()):
            offsets.append(boundary_offsets(found[b, :n], durations[b, :n]))
    return float(np.abs(np.concatenate(offsets)).mean())


def test_untrained_aligner_is_off_on_the_synthetic_problem() -> None:
    torch.manual_seed(0)
    aligner = Aligner(tiny_config(temperature=0.05)).eval()
    generator = torch.Generator().manual_seed(5)
    assert mean_boundary_offset(aligner, [synthetic_batch(generator) for _ in range(4)]) > 1.0


def test_binarization_loss_and_weight_schedule() -> None:
    hard = durations_to_attention(torch.tensor([[2, 1]]))  # (1, 2, 3)
    assert binarization_loss(hard.clone(), hard) == 0
    soft = torch.tensor([[[0.5, 0.5, 0.25], [0.5, 0.5, 0.75]]])
    expected = -(math.log(0.5) * 2 + math.log(0.75)) / 3
    assert math.isclose(float(binarization_loss(soft, hard)), expected, rel_tol=1e-6)
    criterion = AlignerLoss(tiny_config(binarization_start_step=10, binarization_warmup_steps=4))
    weights = [criterion.binarization_weight(step) for step in (1, 9, 10, 11, 13, 100)]
    assert weights == [0.0, 0.0, 0.25, 0.5, 1.0, 1.0]


def test_boundary_errors_hand_computed() -> None:
    # hop 256 at 22050 Hz: one frame = 11.6099... ms
    frame = 1000 * 256 / 22050
    predicted = [[3, 2, 5], [1, 1, 1, 1]]
    reference = [[2, 3, 5], [1, 2, 0, 1]]
    # utterance 1: ends 3,5 vs 2,5 -> |1|, 0; utterance 2: ends 1,2,3 vs 1,3,3 -> 0, |1|, 0
    errors = boundary_errors(predicted, reference, hop_length=256, sample_rate=22050)
    assert errors.boundaries == 5 and errors.utterances == 2
    assert math.isclose(errors.mean_ms, 2 * frame / 5)
    assert errors.median_ms == 0.0
    assert math.isclose(errors.p95_ms, np.percentile([frame, 0, 0, frame, 0], 95))
    assert math.isclose(errors.exact_fraction, 3 / 5)
    with pytest.raises(ValueError, match="one length"):
        boundary_errors([[1, 2]], [[3]], 256, 22050)


def test_boundary_errors_within_teacher_blanks() -> None:
    frame = 1000 * 256 / 22050
    reference = [[4, 3, 5]]  # ends 4, 7; the blanks are the last 2 and 1 frames: [2, 4], [6, 7]
    blanks = [[2, 1, 0]]
    for predicted, expected in (
        ([[2, 5, 5]], [0, 0]),  # on the blank's start, then inside it (end 7 -> 0)
        ([[1, 3, 8]], [-1, -2]),  # before both intervals
        ([[5, 3, 4]], [1, 1]),  # past both ends
    ):
        offsets = boundary_offsets(predicted[0], reference[0], blanks[0])
        assert offsets.tolist() == expected
        errors = boundary_errors(predicted, reference, 256, 22050, blank_frames=blanks)
        assert math.isclose(errors.mean_ms, frame * np.abs(expected).mean())
    with pytest.raises(ValueError, match="blank_frames"):
        boundary_offsets([1, 2], [2, 1], [1])


def test_boundary_offsets_within_blanks_match_a_naive_interval_distance() -> None:
    generator = np.random.default_rng(3)
    for _ in range(50):
        n = int(generator.integers(2, 12))
        reference = generator.integers(1, 8, n)
        blanks = np.minimum(generator.integers(0, 4, n), reference)
        predicted = np.diff(
            np.concatenate(
                [[0], np.sort(generator.integers(0, reference.sum(), n - 1)), [reference.sum()]]
            )
        )
        found = boundary_offsets(predicted, reference, blanks)
        plain = boundary_offsets(predicted, reference)
        for k in range(n - 1):
            end = int(reference[: k + 1].sum())
            cuts = range(end - int(blanks[k]), end + 1)
            position = int(predicted[: k + 1].sum())
            nearest = min(cuts, key=lambda cut: abs(position - cut))
            assert found[k] == position - nearest
        assert (np.abs(found) <= np.abs(plain)).all()
        assert (found == plain)[blanks[:-1] == 0].all()


def test_aligner_config_is_validated_and_loaded_from_the_align_section() -> None:
    config = load_config(None, ["align.steps=50", "align.text_channels=32"])
    assert config.align.steps == 50 and config.align.text_channels == 32
    with pytest.raises(ConfigError, match="align.kernel_size must be odd"):
        load_config(None, ["align.kernel_size=4"])
    with pytest.raises(ConfigError, match="unknown config key 'align.hiden'"):
        load_config(None, ["align.hiden=3"])


def test_interleave_and_fold_transitions_against_a_per_utterance_reference() -> None:
    generator = torch.Generator().manual_seed(7)
    token_lengths = torch.tensor([4, 1, 3])
    tokens = torch.randint(1, 9, (3, 4), generator=generator)
    tokens[1, 1:] = 0
    tokens[2, 3:] = 0
    states, state_lengths = interleave_transitions(tokens, token_lengths, 50)
    assert states.shape == (3, 7) and state_lengths.tolist() == [7, 1, 5]
    state_durations = torch.randint(1, 6, (3, 7), generator=generator)
    for b, n in enumerate(token_lengths.tolist()):
        expected = [int(tokens[b, 0])]
        for token in tokens[b, 1:n].tolist():
            expected += [50, token]
        assert states[b, : 2 * n - 1].tolist() == expected
        assert (states[b, 2 * n - 1 :] == 0).all()
        state_durations[b, 2 * n - 1 :] = 0
    for share in (0.0, 0.5, 1.0, 0.3):
        folded = fold_transitions(state_durations, token_lengths, share)
        for b, n in enumerate(token_lengths.tolist()):
            own = state_durations[b, 0 : 2 * n - 1 : 2].tolist()
            between = state_durations[b, 1 : 2 * n - 1 : 2].tolist()
            expected = list(own)
            for index, frames in enumerate(between):  # the naive rule: round half up
                first = math.floor(frames * share + 0.5)
                expected[index] += first
                expected[index + 1] += frames - first
            assert folded[b, :n].tolist() == expected
            assert (folded[b, n:] == 0).all()
            assert int(folded[b].sum()) == int(state_durations[b].sum())


def test_aligner_with_transition_states_gives_token_durations_and_learns() -> None:
    torch.manual_seed(0)
    config = tiny_config(
        temperature=0.05,
        binarization_start_step=40,
        binarization_warmup_steps=5,
        transition_tokens=True,
    )
    aligner = Aligner(config)
    assert aligner.token_embedding.num_embeddings == config.vocab_size + 1
    generator = torch.Generator().manual_seed(5)
    batches = [synthetic_batch(generator) for _ in range(4)]
    tokens, token_lengths, mels, mel_lengths, _ = batches[0]
    out = aligner.eval()(tokens, token_lengths, mels, mel_lengths)
    states = 2 * tokens.size(1) - 1
    assert out.log_attention.shape == (tokens.size(0), states, mels.size(1))
    assert out.durations.shape == tokens.shape
    assert torch.equal(out.durations.sum(1), mel_lengths)
    assert torch.equal(out.token_lengths, 2 * token_lengths - 1)
    assert ((out.durations >= 1) == (tokens > 0)).all()
    before = mean_boundary_offset(aligner, batches)
    criterion = AlignerLoss(config)
    optimizer = torch.optim.Adam(aligner.parameters(), lr=1e-2)
    aligner.train()
    for step in range(1, 81):
        tokens, token_lengths, mels, mel_lengths, _ = batches[step % 4]
        total, _ = criterion(aligner(tokens, token_lengths, mels, mel_lengths), step)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    after = mean_boundary_offset(aligner.eval(), batches)
    assert before > 1.0 and after < 0.6, (before, after)


def test_transition_states_config_checks() -> None:
    with pytest.raises(ConfigError, match="transition_share"):
        tiny_config(transition_tokens=True, transition_share=1.5)
    with pytest.raises(ConfigError, match="refine_aligner_weight"):
        tiny_config(transition_tokens=True, refine_aligner_weight=1.0)
