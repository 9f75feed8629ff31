"""The learned aligner of Badlani et al. 2022 ("One TTS Alignment To Rule Them All", arXiv
2108.10447), as in NVIDIA FastPitch 1.1's ``AlignmentEncoder``.

Keys: token embedding -> conv -> ReLU -> 1x1 conv. Queries: mel -> conv -> ReLU -> 1x1 ->
ReLU -> 1x1. Frame t attends to token n with

    log_attention[n, t] = log_softmax_n(-temperature * |query_t - key_n|^2) + log prior[n, t]

(the beta-binomial prior of :mod:`fastspeak.aligners.prior`); ``soft_attention`` is its
softmax over tokens (a posterior), and MAS over ``log(soft_attention)`` gives hard durations.
``log_attention`` feeds the forward-sum loss, ``soft_attention`` and the MAS path the
binarisation loss (:mod:`fastspeak.aligners.losses`).

With ``transition_tokens`` the attention's rows are states, not tokens: a learned transition
token sits between every two tokens (Glow-TTS / VITS ``add_blank``), so a phone's own sound and
the change into the next one have keys of their own. MAS aligns the 2N - 1 states and
:func:`fold_transitions` hands each transition's frames to the tokens on either side.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from fastspeak.aligners.mas import durations_to_attention, monotonic_alignment_search
from fastspeak.aligners.prior import batch_log_prior
from fastspeak.config import AlignerConfig
from fastspeak.models.ops import sequence_mask

__all__ = ["Aligner", "AlignerOutput", "fold_transitions", "interleave_transitions", "state_count"]

MASKED_LOG = -1e4
"""Log-value at padded tokens: exp() is 0, yet finite (CTC's gradient turns -inf into NaN)."""


@dataclass
class AlignerOutput:
    """What :meth:`Aligner.forward` returns. Shapes: B batch, N tokens, T frames.

    With ``transition_tokens`` the attention's rows are the S = 2N - 1 states (see the module
    docstring): every (B, N, T) below is (B, S, T), and ``token_lengths`` counts states; only
    ``durations`` is per token.

    Attributes:
        log_attention: (B, N, T) log_softmax over tokens of the distance scores plus the log
            prior (FastPitch's ``attn_logprob``); ``MASKED_LOG`` at padded tokens.
        soft_attention: (B, N, T) P(token n | frame t): sums to 1 over valid tokens at valid
            frames, 0 at padding.
        hard_attention: (B, N, T) float one-hot of the MAS path (no gradient).
        durations: (B, N) long MAS frames per token: >= 1 at valid tokens, 0 at padding,
            summing to ``mel_lengths``; always per token (transitions folded in).
        token_mask: (B, N) bool, True = valid.
        mel_mask: (B, T) bool, True = valid.
        token_lengths: (B,) long; mel_lengths: (B,) long.
    """

    log_attention: Tensor
    soft_attention: Tensor
    hard_attention: Tensor
    durations: Tensor
    token_mask: Tensor
    mel_mask: Tensor
    token_lengths: Tensor
    mel_lengths: Tensor


def state_count(n_tokens: int, transition_tokens: bool) -> int:
    """Rows of the attention for an utterance of ``n_tokens`` (MAS needs that many frames)."""
    return 2 * n_tokens - 1 if transition_tokens and n_tokens > 0 else n_tokens


def interleave_transitions(
    tokens: Tensor, token_lengths: Tensor, transition_id: int
) -> tuple[Tensor, Tensor]:
    """Put ``transition_id`` between every two valid tokens.

    tokens: (B, N) long, 0 = padding; token_lengths: (B,) long >= 1.
    Returns states (B, 2N - 1) long (token i at 2i, the transition after it at 2i + 1, 0 at
    padding) and state_lengths (B,) = 2 * token_lengths - 1.
    """
    batch, n_tokens = tokens.shape
    states = tokens.new_zeros((batch, max(2 * n_tokens - 1, 0)))
    states[:, 0::2] = tokens
    between = torch.arange(n_tokens - 1, device=tokens.device) < (token_lengths - 1).unsqueeze(1)
    states[:, 1::2] = torch.where(between, transition_id, 0)
    return states, (2 * token_lengths - 1).clamp(min=0)


def fold_transitions(state_durations: Tensor, token_lengths: Tensor, share: float) -> Tensor:
    """Token durations from the durations of interleaved states.

    state_durations: (B, 2N - 1) long (token i at 2i, its following transition at 2i + 1; 0 at
    padding); token_lengths: (B,) long; share: fraction of each transition's frames that goes
    to the token before it (rounded half up), the rest to the token after it.
    Returns (B, N) long: >= 1 where every state had a frame, summing to the states' total.
    """
    own = state_durations[:, 0::2]  # (B, N)
    transition = state_durations[:, 1::2]  # (B, N - 1)
    before = torch.floor(transition.double() * share + 0.5).long()
    durations = own.clone()
    durations[:, :-1] += before
    durations[:, 1:] += transition - before
    valid = torch.arange(own.size(1), device=own.device) < token_lengths.unsqueeze(1)
    return durations * valid


class _MaskedConvStack(nn.Module):
    """Conv1d layers over (B, T, C) with ReLU between them; padded positions are zeroed
    before every layer so a padded batch gives each utterance's values at valid positions."""

    def __init__(self, sizes: list[int], kernel_sizes: list[int]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(sizes[i], sizes[i + 1], kernel, padding=kernel // 2)
            for i, kernel in enumerate(kernel_sizes)
        )

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x: (B, T, C_in); mask: (B, T) bool -> (B, T, C_out), zero at padding."""
        keep = mask.unsqueeze(1).to(x.dtype)  # (B, 1, T)
        x = x.transpose(1, 2) * keep
        last = len(self.convs) - 1
        for index, conv in enumerate(self.convs):
            x = conv(x)
            if index < last:
                x = torch.relu(x)
            x = x * keep
        return x.transpose(1, 2)


class Aligner(nn.Module):
    """Tokens + mels -> soft attention and MAS durations (see the module docstring).

    Args:
        config: ``align`` section; ``vocab_size`` must cover every token id (0 = padding)
            and ``n_mels`` match the mels.
    """

    def __init__(self, config: AlignerConfig) -> None:
        super().__init__()
        self.config = copy.deepcopy(config)
        text, mels, kernel = config.text_channels, config.n_mels, config.kernel_size
        self.transition_id = config.vocab_size  # an extra embedding row when used
        rows = config.vocab_size + (1 if config.transition_tokens else 0)
        self.token_embedding = nn.Embedding(rows, text, padding_idx=0)
        self.text_encoder = _MaskedConvStack(
            [text, 2 * text, config.attention_channels], [kernel, 1]
        )
        self.mel_encoder = _MaskedConvStack(
            [mels, 2 * mels, mels, config.attention_channels], [kernel, 1, 1]
        )

    def states(self, tokens: Tensor, token_lengths: Tensor) -> tuple[Tensor, Tensor]:
        """The rows the attention aligns: (B, S) ids and (B,) counts; the tokens themselves,
        or with ``transition_tokens`` the 2N - 1 interleaved states."""
        if self.config.transition_tokens:
            return interleave_transitions(tokens, token_lengths, self.transition_id)
        return tokens, token_lengths

    @torch.no_grad()
    def state_log_posteriors(
        self, tokens: Tensor, token_lengths: Tensor, mels: Tensor, mel_lengths: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """What MAS aligns: log P(state | frame) (B, S, T), the state ids (B, S) and their
        counts (B,); arguments as :meth:`forward`."""
        states, state_lengths = self.states(tokens, token_lengths)
        log_attention = self.scores(states, state_lengths, mels, mel_lengths)[0]
        return torch.log_softmax(log_attention, dim=1), states, state_lengths

    def scores(
        self, tokens: Tensor, token_lengths: Tensor, mels: Tensor, mel_lengths: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``log_attention`` (B, N, T), token_mask (B, N), mel_mask (B, T) over the rows given
        (tokens, or states already interleaved); see AlignerOutput."""
        if mels.size(-1) != self.config.n_mels:
            raise ValueError(
                f"the aligner takes {self.config.n_mels} mel bands, got mels of shape "
                f"{tuple(mels.shape)}"
            )
        token_mask = sequence_mask(token_lengths, tokens.size(1))
        mel_mask = sequence_mask(mel_lengths, mels.size(1))
        keys = self.text_encoder(self.token_embedding(tokens), token_mask)  # (B, N, A)
        queries = self.mel_encoder(mels, mel_mask)  # (B, T, A)
        keys, queries = keys.float(), queries.float()
        distances = (
            keys.pow(2).sum(-1).unsqueeze(2)
            + queries.pow(2).sum(-1).unsqueeze(1)
            - 2.0 * torch.bmm(keys, queries.transpose(1, 2))
        ).clamp(min=0.0)  # (B, N, T) squared L2
        logits = (-self.config.temperature * distances).masked_fill(
            ~token_mask.unsqueeze(2), float("-inf")
        )
        log_prior = batch_log_prior(
            token_lengths, mel_lengths, self.config.prior_scaling, tokens.size(1), mels.size(1)
        )
        log_attention = torch.log_softmax(logits, dim=1) + log_prior.to(logits.device)
        log_attention = log_attention.masked_fill(~token_mask.unsqueeze(2), MASKED_LOG)
        return log_attention, token_mask, mel_mask

    def forward(
        self, tokens: Tensor, token_lengths: Tensor, mels: Tensor, mel_lengths: Tensor
    ) -> AlignerOutput:
        """Align a padded batch.

        Args:
            tokens: (B, N) long token ids, 0 = padding.
            token_lengths: (B,) long, >= 1.
            mels: (B, T, n_mels) log-mels, zero-padded.
            mel_lengths: (B,) long, >= the states' count (``state_count``: MAS gives every
                state a frame).
        Returns:
            AlignerOutput.
        """
        per_token_lengths = token_lengths
        tokens, token_lengths = self.states(tokens, token_lengths)
        log_attention, token_mask, mel_mask = self.scores(tokens, token_lengths, mels, mel_lengths)
        valid = token_mask.unsqueeze(2) & mel_mask.unsqueeze(1)  # (B, N, T)
        soft = torch.softmax(log_attention, dim=1).masked_fill(~valid, 0.0)
        with torch.no_grad():
            log_soft = torch.log_softmax(log_attention.detach(), dim=1)
            durations = monotonic_alignment_search(log_soft, token_lengths, mel_lengths)
            hard = durations_to_attention(durations, mels.size(1))
            if self.config.transition_tokens:
                durations = fold_transitions(
                    durations, per_token_lengths, self.config.transition_share
                )
        return AlignerOutput(
            log_attention=log_attention,
            soft_attention=soft,
            hard_attention=hard,
            durations=durations,
            token_mask=token_mask,
            mel_mask=mel_mask,
            token_lengths=token_lengths,
            mel_lengths=mel_lengths,
        )
