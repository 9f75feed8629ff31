"""Length-bucketed batch sampler, deterministic per epoch and DDP-aware.

Each epoch: shuffle all items (seeded by ``seed + epoch``), cut the order into buckets of about
``bucket_batches`` batches, sort each bucket by length, cut it into batches (``batch_size``
items, or as many as fit ``max_frames`` padded frames), then shuffle the batches. Batches hold
utterances of similar length (little padding) while the epoch order stays random.

With several replicas (DDP), every rank builds the same batch list and takes every
``num_replicas``-th batch. All ranks must run the same number of steps or the collective ops
deadlock, so the list is cut to a multiple of ``num_replicas`` (``drop_last=True``, shares
disjoint) or padded by repeating its first batches (``drop_last=False``, every item seen).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

__all__ = ["LengthBucketSampler", "length_bucketed_loader"]


class LengthBucketSampler(Sampler[list[int]]):
    """Yields lists of dataset indices.

    Args:
        lengths: length (mel frames) of every item.
        batch_size: items per batch (an upper bound when ``max_frames`` is set).
        max_frames: if > 0, a batch holds as many items as keep ``items x longest`` within
            it (at least one item).
        bucket_batches: batches per sorting bucket.
        shuffle: random order (False: items in length order, for validation).
        seed: base seed; epoch ``e`` uses ``seed + e``.
        num_replicas, rank: DDP world size and this process's rank.
        drop_last: see the module docstring.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        max_frames: int = 0,
        bucket_batches: int = 50,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        drop_last: bool = False,
    ) -> None:
        if batch_size < 1 or bucket_batches < 1:
            raise ValueError("batch_size and bucket_batches must be >= 1")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is not in [0, {num_replicas})")
        self.lengths = [int(length) for length in lengths]
        self.batch_size = batch_size
        self.max_frames = max_frames
        self.bucket_batches = bucket_batches
        self.shuffle = shuffle
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.drop_last = drop_last
        self.epoch = 0
        self.start_batch = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Select the epoch's order; skip its first ``start_batch`` batches (for resuming)."""
        self.epoch = epoch
        self.start_batch = start_batch

    def _split(self, indices: list[int]) -> list[list[int]]:
        if self.max_frames <= 0:
            return [
                indices[i : i + self.batch_size] for i in range(0, len(indices), self.batch_size)
            ]
        batches: list[list[int]] = []
        current: list[int] = []
        longest = 0
        for index in indices:
            candidate = max(longest, self.lengths[index])
            if current and (
                len(current) >= self.batch_size or candidate * (len(current) + 1) > self.max_frames
            ):
                batches.append(current)
                current, candidate = [], self.lengths[index]
            current.append(index)
            longest = candidate
        if current:
            batches.append(current)
        return batches

    def epoch_batches(self, epoch: int) -> list[list[int]]:
        """This rank's batches of ``epoch`` (all of them, ignoring ``start_batch``)."""
        generator = torch.Generator().manual_seed(self.seed + epoch)
        count = len(self.lengths)
        if self.shuffle:
            order = torch.randperm(count, generator=generator).tolist()
        else:
            order = list(range(count))
        bucket = self.batch_size * self.bucket_batches
        batches: list[list[int]] = []
        for start in range(0, count, bucket):
            chunk = sorted(order[start : start + bucket], key=lambda index: self.lengths[index])
            batches.extend(self._split(chunk))
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator)]
        if self.num_replicas > 1:
            if self.drop_last:
                batches = batches[: len(batches) - len(batches) % self.num_replicas]
            else:
                missing = -len(batches) % self.num_replicas
                batches = batches + [batches[i % len(batches)] for i in range(missing)]
            batches = batches[self.rank :: self.num_replicas]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.epoch_batches(self.epoch)[self.start_batch :]

    def __len__(self) -> int:
        return max(0, len(self.epoch_batches(self.epoch)) - self.start_batch)


def length_bucketed_loader(
    dataset: Dataset,
    indices: Sequence[int],
    frames: Sequence[int],
    batch_size: int,
    shuffle: bool,
    seed: int,
    workers: int = 0,
) -> tuple[DataLoader, LengthBucketSampler]:
    """A DataLoader over ``dataset``'s items at ``indices`` in length-bucketed batches collated
    into :class:`fastspeak.data.batch.Batch`; ``frames[i]`` is the length of item
    ``indices[i]``. Returns the loader and its sampler (for ``set_epoch``)."""
    from fastspeak.data.batch import collate

    sampler = LengthBucketSampler(list(frames), batch_size, shuffle=shuffle, seed=seed)
    loader = DataLoader(
        Subset(dataset, list(indices)),
        batch_sampler=sampler,
        collate_fn=collate,
        num_workers=workers,
        persistent_workers=False,
    )
    return loader, sampler
