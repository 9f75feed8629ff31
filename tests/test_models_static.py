"""Static-shape inference (``static_frames``) and its CUDA-graph replay."""

from __future__ import annotations

import pytest
import torch

from fastspeak.models import FastSpeech, FastSpeech2
from fastspeak.models.graphs import GraphedInference
from tiny import tiny_model_config


def tiny(name: str) -> torch.nn.Module:
    config = tiny_model_config(name)
    torch.manual_seed(0)
    model = FastSpeech2(config) if name == "fastspeech2" else FastSpeech(config)
    return model.eval()


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    tokens = torch.randint(1, 20, (3, 9), generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([9, 6, 2])
    tokens[1, 6:] = 0
    tokens[2, 2:] = 0
    return tokens, lengths


@pytest.mark.parametrize("name", ["fastspeech2", "fastspeech"])
def test_static_frames_pads_to_exact_length(name: str) -> None:
    model = tiny(name)
    tokens, lengths = batch()
    free = model.infer(tokens, lengths)
    longest = int(free.mel_lengths.max())
    static = model.infer(tokens, lengths, static_frames=longest + 7)
    assert static.mels_postnet.shape == (3, longest + 7, 80)
    assert torch.equal(static.mel_lengths, free.mel_lengths)
    torch.testing.assert_close(static.mels_postnet[:, :longest], free.mels_postnet)
    assert static.mels_postnet[:, longest:].abs().max() == 0


@pytest.mark.parametrize("name", ["fastspeech2", "fastspeech"])
def test_static_frames_truncates(name: str) -> None:
    model = tiny(name)
    tokens, lengths = batch()
    free = model.infer(tokens, lengths)
    short = int(free.mel_lengths.min())
    static = model.infer(tokens, lengths, static_frames=short)
    assert static.mels_postnet.shape[1] == short
    assert torch.equal(static.mel_lengths, free.mel_lengths.clamp(max=short))
    with pytest.raises(ValueError, match="static_frames"):
        model.infer(tokens, lengths, static_frames=0)


def test_graph_needs_cuda() -> None:
    with pytest.raises(ValueError, match="CUDA"):
        GraphedInference(tiny("fastspeech2"), 1, 9, 64)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_graph_replay_matches_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same shapes, no TF32 (cuDNN picks kernels per shape; TF32 differences could flip a
    rounded duration): the replay must give the eager numbers, call after call."""
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    model = tiny("fastspeech2").cuda()
    tokens, lengths = (t.cuda() for t in batch())
    graphed = GraphedInference(model, 3, tokens.size(1), 256)
    eager = model.infer(tokens, lengths, static_frames=256)
    for _ in range(2):  # replays reuse the recorded buffers
        output = graphed(tokens, lengths)
        assert torch.equal(output.mel_lengths, eager.mel_lengths)
        torch.testing.assert_close(output.mels, eager.mels_postnet, atol=1e-4, rtol=1e-4)
        assert not output.truncated.any()
    other = torch.randint(1, 20, tokens.shape, device="cuda")  # new inputs, same graph
    output = graphed(other, lengths)
    expected = model.infer(other, lengths, static_frames=256)
    torch.testing.assert_close(output.mels, expected.mels_postnet, atol=1e-4, rtol=1e-4)
