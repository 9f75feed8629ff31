"""Re-segmentation under a duration prior: an explicit-duration HMM over the aligner's states.

MAS takes the single best path through the aligner's log P(state | frame) and has no view of
how long a state lasts. The aligner's posteriors are confident (most frames near log 1), so a
boundary goes wherever the frames' scores tip, and on piper the short phones take frames from
their long neighbours (docs/evaluations/aligner_piper_cpu.md). A hidden semi-Markov model adds
to every state the log-probability of its duration under a log-normal fitted to the corpus's
own alignments of that state's token id (all transition states share one):

    score(path) = sum_t log P(state(t) | frame t) + (w / c) x sum_s log p_id(s)(duration_s)

and :func:`segmental_search` finds the best path exactly (a segmental Viterbi search,
O(S x T x D) for D the longest duration tried; numba, or numpy where numba is missing). ``c``
is the aligner's own mean -log P(state | frame) along its MAS path over the train split, so the
weight ``w`` counts in units of the aligner's confidence: an aligner sure of its frames (small
c) gets a stronger prior to move them, a hesitant one a weaker prior (the best w / c measured:
40 for piper's 10,000-step aligner, c = 0.50; 20 for a 3,000-step one, c = 0.73; 10 for
flite's, c = 1.53; all near w = 20). Each of ``rounds`` rounds fits the log-normals on the train split's current
durations (first the aligner's MAS), then re-segments every split. No reference durations
are used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; a bare GPU image may lack it
    numba = None  # type: ignore[assignment]

from fastspeak.aligners.mas import monotonic_alignment_search
from fastspeak.aligners.model import Aligner, fold_transitions
from fastspeak.config import AlignerConfig
from fastspeak.data.batch import Batch
from fastspeak.data.dataset import FeatureDataset
from fastspeak.data.sampler import length_bucketed_loader

__all__ = [
    "DurationPrior",
    "Resegmentation",
    "resegment_with_duration_prior",
    "segmental_search",
]

SIGMA_FLOOR = 0.2
"""Smallest standard deviation of a log-duration (a token seen with one length only)."""
MIN_COUNT = 10
"""Fewer observations than this: the token takes the log-normal fitted over all states."""
MIN_PATH_COST = 1e-3
"""Floor of c (a perfectly sure aligner would otherwise get an infinite weight)."""
MIN_SPAN = 16
"""The longest duration searched is at least this many frames (and twice the longest state of
the current path, so that path stays reachable)."""


def _segmental_viterbi(
    log_probs: np.ndarray, log_duration: np.ndarray
) -> tuple[np.ndarray, float]:  # pragma: no cover - jit
    """(S, T + 1) start frame of state s when it ends before frame e, and the best path's
    score (-inf: no path)."""
    states, frames = log_probs.shape
    longest = log_duration.shape[1] - 1
    cumulative = np.zeros((states, frames + 1))
    for s in range(states):
        for t in range(frames):
            cumulative[s, t + 1] = cumulative[s, t] + log_probs[s, t]
    value = np.full((states, frames + 1), -np.inf)  # value[s, e]: state s ends before frame e
    start = np.zeros((states, frames + 1), dtype=np.int64)
    for end in range(1, min(longest, frames) + 1):
        value[0, end] = cumulative[0, end] + log_duration[0, end]
    for s in range(1, states):
        for end in range(s + 1, frames + 1):
            best = -np.inf
            best_start = -1
            for duration in range(1, min(longest, end - s) + 1):
                begin = end - duration
                previous = value[s - 1, begin]
                if previous == -np.inf:
                    continue
                score = (
                    previous + cumulative[s, end] - cumulative[s, begin] + log_duration[s, duration]
                )
                if score > best:
                    best = score
                    best_start = begin
            value[s, end] = best
            start[s, end] = best_start
    return start, value[states - 1, frames]


def _segmental_viterbi_numpy(
    log_probs: np.ndarray, log_duration: np.ndarray
) -> tuple[np.ndarray, float]:
    """The same search vectorised over (end, duration) per state: the fallback where numba is
    not installed (a bare GPU image), ~4x slower; same path, ties to the shorter duration."""
    states, frames = log_probs.shape
    longest = log_duration.shape[1] - 1
    cumulative = np.zeros((states, frames + 1))
    cumulative[:, 1:] = np.cumsum(log_probs, axis=1)
    value = np.full((states, frames + 1), -np.inf)
    start = np.zeros((states, frames + 1), dtype=np.int64)
    first = np.arange(1, min(longest, frames) + 1)
    value[0, first] = cumulative[0, first] + log_duration[0, first]
    ends = np.arange(frames + 1)[:, None]  # (T + 1, 1)
    lengths = np.arange(1, longest + 1)[None, :]  # (1, D)
    begins = ends - lengths  # (T + 1, D)
    rows = np.arange(frames + 1)
    for s in range(1, states):
        valid = begins >= s
        safe = np.where(valid, begins, 0)
        scores = value[s - 1, safe] + cumulative[s, ends] - cumulative[s, safe]
        scores = np.where(valid, scores + log_duration[s, lengths], -np.inf)
        best = scores.argmax(axis=1)
        value[s] = scores[rows, best]
        start[s] = begins[rows, best]
    return start, float(value[states - 1, frames])


_search = _segmental_viterbi_numpy if numba is None else numba.njit(cache=True)(_segmental_viterbi)


def segmental_search(log_probs: np.ndarray, log_duration: np.ndarray) -> np.ndarray:
    """The best monotonic path of an explicit-duration HMM (module docstring).

    Args:
        log_probs: (S, T) per-frame log-scores of the S states in order (T >= S).
        log_duration: (S, D + 1) log-score of state s lasting d frames at [s, d], d = 1..D
            (column 0 unused); ``-inf`` forbids a duration.
    Returns:
        (S,) int64 frames per state, each >= 1, summing to T.
    Raises:
        ValueError: no path (T < S, or D too small to cover T frames).
    """
    states, frames = log_probs.shape
    if log_duration.shape[0] != states:
        raise ValueError(f"log_duration has {log_duration.shape[0]} rows for {states} states")
    start, score = _search(
        np.ascontiguousarray(log_probs, dtype=np.float64),
        np.ascontiguousarray(log_duration, dtype=np.float64),
    )
    if score == -np.inf:
        raise ValueError(
            f"no path of {states} states over {frames} frames with durations up to "
            f"{log_duration.shape[1] - 1}"
        )
    durations = np.zeros(states, dtype=np.int64)
    end = frames
    for state in range(states - 1, 0, -1):
        begin = int(start[state, end])
        durations[state] = end - begin
        end = begin
    durations[0] = end
    return durations


@dataclass
class DurationPrior:
    """A log-normal duration per state id: log(frames) ~ N(mean[id], std[id]^2).

    Attributes:
        mean, std: (V,) over state ids; ids seen fewer than ``MIN_COUNT`` times hold the fit
            over all states.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(
        cls, states: Sequence[np.ndarray], durations: Sequence[np.ndarray], ids: int
    ) -> DurationPrior:
        """Fit from utterances' state ids (each (S,) int) and frames per state ((S,) int);
        ``ids``: the number of state ids (V)."""
        flat_ids = np.concatenate([np.asarray(s, dtype=np.int64) for s in states])
        logs = np.log(np.concatenate([np.asarray(d, dtype=np.float64) for d in durations]))
        counts = np.bincount(flat_ids, minlength=ids).astype(np.float64)
        sums = np.bincount(flat_ids, weights=logs, minlength=ids)
        squares = np.bincount(flat_ids, weights=logs**2, minlength=ids)
        seen = counts >= MIN_COUNT
        mean = np.full(ids, logs.mean())
        std = np.full(ids, max(float(logs.std()), SIGMA_FLOOR))
        mean[seen] = sums[seen] / counts[seen]
        variance = squares[seen] / counts[seen] - mean[seen] ** 2
        std[seen] = np.maximum(np.sqrt(np.clip(variance, 0.0, None)), SIGMA_FLOOR)
        return cls(mean=mean, std=std)

    def log_table(self, states: np.ndarray, longest: int, weight: float = 1.0) -> np.ndarray:
        """(S, longest + 1): ``weight`` x the log-density of d = 1..longest frames for each
        state (the log-normal density of d, -log d included); column 0 -inf."""
        log_frames = np.log(np.arange(1, longest + 1, dtype=np.float64))[None, :]
        mean = self.mean[states][:, None]
        std = self.std[states][:, None]
        table = weight * (-((log_frames - mean) ** 2) / (2.0 * std**2) - log_frames - np.log(std))
        return np.concatenate([np.full((len(states), 1), -np.inf), table], axis=1)


@dataclass
class Resegmentation:
    """What :func:`resegment_with_duration_prior` returns.

    Attributes:
        durations: utterance id -> (N,) int64 frames per token (>= 1 each, summing to the mel
            frames), for every item of every split.
        path_cost: c, the aligner's mean -log P(state | frame) along its MAS path (train split).
        scale: the duration log-densities' weight, ``duration_prior_weight`` / c.
    """

    durations: dict[str, np.ndarray]
    path_cost: float
    scale: float


@torch.no_grad()
def resegment_with_duration_prior(
    aligner: Aligner,
    datasets: Mapping[str, tuple[FeatureDataset, Sequence[int]]],
    config: AlignerConfig,
    device: torch.device,
    progress: bool = True,
) -> Resegmentation:
    """Token durations after ``config.duration_prior_rounds`` rounds (module docstring).

    Args:
        aligner: the trained aligner (its posteriors; transitions folded with
            ``config.transition_share``).
        datasets: split -> (FeatureDataset, indices of the items to align); the prior and c
            come from the "train" split's items.
        config: the ``align`` section (``duration_prior_*``, ``batch_size``).
    """
    if "train" not in datasets:
        raise ValueError("the duration prior is fitted on the train split")
    train_dataset, train_indices = datasets["train"]
    train_ids = [str(train_dataset.entries[index]["id"]) for index in train_indices]
    was_training = aligner.training
    aligner.eval()
    paths = _StatePaths()
    rounds = config.duration_prior_rounds
    total = sum(len(indices) for _, indices in datasets.values()) * (rounds + 1)
    bar = tqdm(total=total, desc="duration prior", unit="utt", disable=not progress)
    prior, cost, scale = None, math.nan, math.nan  # the first pass is the aligner's MAS
    try:
        for round_index in range(rounds + 1):
            if round_index:
                prior = DurationPrior.fit(
                    [paths.states[key] for key in train_ids],
                    [paths.durations[key] for key in train_ids],
                    aligner.token_embedding.num_embeddings,
                )
            if round_index == 1:
                cost = sum(paths.costs[key] for key in train_ids) / sum(
                    int(paths.durations[key].sum()) for key in train_ids
                )
                scale = config.duration_prior_weight / max(cost, MIN_PATH_COST)
            updated: dict[str, np.ndarray] = {}
            for dataset, indices in datasets.values():
                frames = [int(dataset.entries[index]["frames"]) for index in indices]
                loader, _ = length_bucketed_loader(
                    dataset, indices, frames, config.batch_size, False, 0
                )
                for batch in loader:
                    updated.update(paths.segment(aligner, batch, device, prior, scale))
                    bar.update(len(batch.ids))
            paths.durations = updated
    finally:
        bar.close()
        aligner.train(was_training)
    durations = {key: paths.token_durations(key, config) for key in paths.durations}
    return Resegmentation(durations=durations, path_cost=cost, scale=scale)


class _StatePaths:
    """Each utterance's state ids, MAS path cost and current frames per state, by id."""

    def __init__(self) -> None:
        self.states: dict[str, np.ndarray] = {}
        self.costs: dict[str, float] = {}
        self.durations: dict[str, np.ndarray] = {}

    def segment(
        self,
        aligner: Aligner,
        batch: Batch,
        device: torch.device,
        prior: DurationPrior | None,
        scale: float,
    ) -> dict[str, np.ndarray]:
        """(S,) frames per state for each utterance of ``batch``: the aligner's MAS without
        ``prior`` (recording the states and the path's cost), else the search under it."""
        log_probs, state_ids, state_lengths = aligner.state_log_posteriors(
            batch.tokens.to(device),
            batch.token_lengths.to(device),
            batch.mels.to(device),
            batch.mel_lengths.to(device),
        )
        found = None
        if prior is None:
            found = monotonic_alignment_search(log_probs, state_lengths, batch.mel_lengths).cpu()
        scores = log_probs.cpu().numpy()
        out = {}
        for row, key in enumerate(batch.ids):
            count, frames = int(state_lengths[row]), int(batch.mel_lengths[row])
            scored = scores[row, :count, :frames]
            if found is not None:
                durations = found[row, :count].numpy()
                path = np.repeat(np.arange(count), durations)
                self.costs[key] = -float(scored[path, np.arange(frames)].sum())
                self.states[key] = state_ids[row, :count].cpu().numpy()
                out[key] = durations
                continue
            assert prior is not None
            longest = min(frames - count + 1, max(MIN_SPAN, 2 * int(self.durations[key].max())))
            out[key] = segmental_search(scored, prior.log_table(self.states[key], longest, scale))
        return out

    def token_durations(self, key: str, config: AlignerConfig) -> np.ndarray:
        """(N,) frames per token: the states', transitions folded in."""
        durations = self.durations[key]
        if not config.transition_tokens:
            return durations
        tokens = (len(durations) + 1) // 2  # S = 2N - 1 states
        folded = fold_transitions(
            torch.from_numpy(durations)[None], torch.tensor([tokens]), config.transition_share
        )
        return folded[0].numpy()
