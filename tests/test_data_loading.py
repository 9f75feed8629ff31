"""FeatureDataset, collate and the length-bucketed sampler on a real piper FEATDIR."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import torch

from fastspeak.data.batch import collate
from fastspeak.data.dataset import DatasetError, FeatureDataset, load_feature_dir
from fastspeak.data.sampler import LengthBucketSampler


def test_dataset_items_and_collate_padding(piper_featdir: Path) -> None:
    vocab, speakers, _ = load_feature_dir(piper_featdir)
    dataset = FeatureDataset(piper_featdir, "train", vocab, speakers)
    assert len(dataset) == 10
    items = [dataset[index] for index in range(4)]
    for item in items:
        assert item["tokens"].dtype == torch.long and item["durations"].dtype == torch.long
        assert item["mels"].dtype == torch.float32 and item["mels"].shape[1] == 80
        assert int(item["durations"].sum()) == item["mels"].shape[0]
        assert item["pitch"].shape == item["tokens"].shape == item["energy"].shape
    batch = collate(items)
    lengths = [len(item["tokens"]) for item in items]
    frames = [item["mels"].shape[0] for item in items]
    assert batch.tokens.shape == (4, max(lengths))
    assert batch.mels.shape == (4, max(frames), 80)
    assert batch.token_lengths.tolist() == lengths and batch.mel_lengths.tolist() == frames
    assert torch.equal(batch.durations.sum(1), batch.mel_lengths)
    assert batch.pitch.shape == batch.energy.shape == batch.durations.shape
    assert batch.speaker_ids.tolist() == [0, 0, 0, 0]
    for index, item in enumerate(items):
        assert torch.equal(batch.tokens[index, : lengths[index]], item["tokens"])
        assert (batch.tokens[index, lengths[index] :] == 0).all()
        assert (batch.mels[index, frames[index] :] == 0).all()
        assert (batch.durations[index, lengths[index] :] == 0).all()
    moved = batch.to("cpu")
    assert moved.ids == batch.ids and torch.equal(moved.mels, batch.mels)


def test_unknown_token_is_named(piper_featdir: Path, tmp_path: Path) -> None:
    feat_dir = tmp_path / "feat"
    shutil.copytree(piper_featdir, feat_dir)
    lines = (feat_dir / "train.jsonl").read_text().splitlines()
    entry = json.loads(lines[0])
    entry["tokens"][0] = "Q!"
    (feat_dir / "train.jsonl").write_text("\n".join([json.dumps(entry), *lines[1:]]) + "\n")
    vocab, speakers, _ = load_feature_dir(feat_dir)
    with pytest.raises(DatasetError, match=r"'Q!'.*re-run fastspeak preprocess"):
        FeatureDataset(feat_dir, "train", vocab, speakers)


LENGTHS = [
    int(x) for x in torch.randint(20, 900, (103,), generator=torch.Generator().manual_seed(0))
]


@pytest.mark.parametrize("max_frames", [0, 2000])
def test_sampler_covers_every_item_once_per_epoch(max_frames: int) -> None:
    sampler = LengthBucketSampler(LENGTHS, batch_size=8, max_frames=max_frames, bucket_batches=3)
    orders = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        assert Counter(i for batch in batches for i in batch) == Counter(range(len(LENGTHS)))
        for batch in batches:
            assert 1 <= len(batch) <= 8
            if max_frames and len(batch) > 1:
                assert len(batch) * max(LENGTHS[i] for i in batch) <= max_frames
        orders.append(batches)
        sampler.set_epoch(epoch)
        assert list(sampler) == batches  # deterministic per epoch
    assert orders[0] != orders[1]
    sampler.set_epoch(1, start_batch=5)
    assert list(sampler) == orders[1][5:]


def test_sampler_buckets_reduce_padding() -> None:
    bucketed = LengthBucketSampler(LENGTHS, batch_size=8, bucket_batches=50)
    padded = sum(len(b) * max(LENGTHS[i] for i in b) for b in bucketed)
    generator = torch.Generator().manual_seed(0)
    order = torch.randperm(len(LENGTHS), generator=generator).tolist()
    plain = [order[i : i + 8] for i in range(0, len(order), 8)]
    assert padded < sum(len(b) * max(LENGTHS[i] for i in b) for b in plain)


@pytest.mark.parametrize("drop_last", [True, False])
def test_sampler_ranks_get_equal_disjoint_shares(drop_last: bool) -> None:
    shares = []
    for rank in range(2):
        sampler = LengthBucketSampler(
            LENGTHS, batch_size=8, seed=7, num_replicas=2, rank=rank, drop_last=drop_last
        )
        sampler.set_epoch(4)
        shares.append(list(sampler))
    assert len(shares[0]) == len(shares[1])  # equal step counts: no DDP deadlock
    seen = [{i for batch in share for i in batch} for share in shares]
    everything = set(range(len(LENGTHS)))
    if drop_last:
        assert not seen[0] & seen[1]
    else:
        # 13 batches: one is repeated to give each rank 7, so every item is seen and only
        # the repeated batch's items are on both ranks.
        assert seen[0] | seen[1] == everything
        assert len(seen[0] & seen[1]) <= 8


def test_sampler_pads_odd_batch_counts_for_ranks() -> None:
    lengths = LENGTHS[:40]  # 5 batches of 8 for 2 ranks
    shares = [
        list(LengthBucketSampler(lengths, 8, num_replicas=2, rank=rank, drop_last=False))
        for rank in range(2)
    ]
    assert len(shares[0]) == len(shares[1]) == 3
    assert {i for share in shares for batch in share for i in batch} == set(range(40))
    dropped = [
        list(LengthBucketSampler(lengths, 8, num_replicas=2, rank=rank, drop_last=True))
        for rank in range(2)
    ]
    assert len(dropped[0]) == len(dropped[1]) == 2
    assert not {i for b in dropped[0] for i in b} & {i for b in dropped[1] for i in b}


@pytest.mark.parametrize("name", ["fastspeech2", "fastspeech"])
def test_padded_batches_give_the_same_losses(piper_featdir: Path, name: str) -> None:
    """pad_multiple only adds masked padding: outputs on valid frames and losses are unchanged."""
    from fastspeak.config import load_config
    from fastspeak.models import model_spec

    vocab, speakers, stats = load_feature_dir(piper_featdir)
    dataset = FeatureDataset(piper_featdir, "train", vocab, speakers)
    items = [dataset[index] for index in range(3)]
    config = load_config(piper_featdir / "config.yaml").model
    config.name, config.vocab_size = name, len(vocab)  # type: ignore[assignment]
    config.hidden, config.conv_filter_size, config.encoder_layers = 32, 64, 1
    config.decoder_layers, config.postnet_channels = 1, 32
    spec = model_spec(name)
    torch.manual_seed(0)
    model = spec.build(config, stats).eval()
    criterion = spec.loss(config)
    plain, padded = collate(items), collate(items, pad_multiple=64)
    assert padded.tokens.size(1) % 64 == 0 and padded.static_frames % 64 == 0
    assert padded.static_frames > plain.static_frames
    with torch.no_grad():
        out_plain = model(**spec.inputs_from(plain))
        out_padded = model(**spec.inputs_from(padded))
        loss_plain, terms_plain = criterion(plain, out_plain)
        loss_padded, terms_padded = criterion(padded, out_padded)
    frames = plain.static_frames
    torch.testing.assert_close(out_padded.mels_postnet[:, :frames], out_plain.mels_postnet)
    assert out_padded.mels_postnet[:, frames:].abs().max() == 0
    torch.testing.assert_close(loss_padded, loss_plain)
    for term, value in terms_plain.items():
        torch.testing.assert_close(terms_padded[term], value)
    with pytest.raises(ValueError, match="pad_multiple"):
        collate(items, pad_multiple=0)
