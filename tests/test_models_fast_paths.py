"""Fast paths of the model layers: the unpadded (mask-free) path and the CPU dropout."""

from __future__ import annotations

import pytest
import torch

from fastspeak.models import FFTStack, PostNet
from fastspeak.models.layers import Dropout
from fastspeak.models.ops import has_padding


def test_has_padding() -> None:
    assert not has_padding(torch.ones(2, 5, dtype=torch.bool))
    mask = torch.ones(2, 5, dtype=torch.bool)
    mask[1, 3:] = False
    assert has_padding(mask)


def test_has_padding_is_true_while_tracing() -> None:
    """A traced graph must keep the masked path, whatever the example input was."""
    seen: list[bool] = []

    def probe(mask: torch.Tensor) -> torch.Tensor:
        seen.append(has_padding(mask))
        return mask.float()

    torch.jit.trace(probe, (torch.ones(1, 4, dtype=torch.bool),), check_trace=False)
    assert seen == [True]


@pytest.mark.parametrize("module", ["stack", "postnet"])
def test_unpadded_path_equals_masked_path(module: str, monkeypatch) -> None:
    torch.manual_seed(0)
    if module == "stack":
        net: torch.nn.Module = FFTStack(2, 16, 2, 32, (9, 1), 0.1).eval()
    else:
        net = PostNet(6, 16, 5, 3, 0.5).eval()
    x = torch.randn(2, 11, 16 if module == "stack" else 6)
    mask = torch.ones(2, 11, dtype=torch.bool)
    fast = net(x, mask=mask)
    monkeypatch.setattr("fastspeak.models.layers.has_padding", lambda mask: True)
    masked = net(x, mask=mask)
    torch.testing.assert_close(fast, masked)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_dropout_distribution(p: float) -> None:
    dropout = Dropout(p)
    x = torch.ones(200_000, requires_grad=True)
    y = dropout(x)
    if p == 1.0:
        assert torch.count_nonzero(y) == 0
        return
    kept = y != 0
    assert abs(kept.float().mean().item() - (1 - p)) < 0.01
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / (1 - p)))
    y.sum().backward()
    torch.testing.assert_close(x.grad, y.detach())  # gradient = mask / (1 - p)
    assert torch.equal(dropout.eval()(x), x)
