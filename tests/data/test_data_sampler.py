"""Splits, the per-epoch sharded sampler and in-memory batches."""

from __future__ import annotations

import pytest
import torch

from pokegen.data import class_balanced_weights, epoch_indices, iterate_batches, split_indices


def test_split_is_deterministic_disjoint_and_sorted():
    train, held = split_indices(809, 0.1, seed=3)
    again_train, again_held = split_indices(809, 0.1, seed=3)
    assert torch.equal(train, again_train) and torch.equal(held, again_held)
    assert train.dtype == held.dtype == torch.long
    assert len(held) == 81 and len(train) == 728
    assert set(train.tolist()).isdisjoint(held.tolist())
    assert sorted(train.tolist() + held.tolist()) == list(range(809))
    assert torch.equal(train, train.sort().values) and torch.equal(held, held.sort().values)
    assert not torch.equal(held, split_indices(809, 0.1, seed=4)[1])


def test_split_edge_cases():
    assert [len(t) for t in split_indices(5, 0.01, 0)] == [4, 1]  # at least one held out
    assert [len(t) for t in split_indices(2, 0.6, 0)] == [1, 1]  # at least one to train on
    assert [len(t) for t in split_indices(10, 0.0, 0)] == [10, 0]
    assert [len(t) for t in split_indices(1, 0.5, 0)] == [1, 0]
    with pytest.raises(ValueError):
        split_indices(10, 1.0, 0)


def test_epoch_indices_permute_and_change_per_epoch():
    first = epoch_indices(100, epoch=0, seed=1)
    assert sorted(first.tolist()) == list(range(100))
    assert torch.equal(first, epoch_indices(100, epoch=0, seed=1))
    assert not torch.equal(first, epoch_indices(100, epoch=1, seed=1))
    assert not torch.equal(first, epoch_indices(100, epoch=0, seed=2))
    assert not torch.equal(epoch_indices(100, 1, 2), epoch_indices(100, 2, 1))  # no collisions


def test_epoch_indices_shards_are_disjoint_and_equal():
    shards = [epoch_indices(103, epoch=5, seed=0, rank=r, world_size=4) for r in range(4)]
    assert [len(s) for s in shards] == [25] * 4
    flat = torch.cat(shards).tolist()
    assert len(set(flat)) == 100  # disjoint
    assert set(flat) <= set(epoch_indices(103, epoch=5, seed=0).tolist())
    with pytest.raises(ValueError):
        epoch_indices(10, 0, 0, rank=2, world_size=2)


def test_weighted_sampling_balances_classes():
    labels = torch.zeros(100, 2)
    labels[:90, 0] = 1  # 90 common, 10 rare
    labels[90:, 1] = 1
    weights = class_balanced_weights(labels)
    assert weights.shape == (100,) and weights[95] > 5 * weights[0]
    drawn = torch.cat([epoch_indices(100, e, seed=0, weights=weights) for e in range(20)])
    rare_share = (drawn >= 90).float().mean().item()
    assert 0.4 < rare_share < 0.6  # ~10% without weights
    assert len(epoch_indices(100, 0, 0, rank=1, world_size=2, weights=weights)) == 50


def test_balanced_weights_unlabelled_images():
    assert torch.equal(class_balanced_weights(torch.zeros(4, 0)), torch.ones(4))
    labels = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    weights = class_balanced_weights(labels)
    assert weights[2] == pytest.approx(2 * weights[0]) and weights[3] > 0


def _images(n: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.zeros(n, 3, 4, 4, dtype=torch.uint8)
    images[:, :, :, 0] = 255  # left column white, the rest black
    images[:, 1] = torch.arange(n, dtype=torch.uint8).view(n, 1, 1)  # green channel = index
    labels = torch.nn.functional.one_hot(torch.arange(n) % 3, 3).float()
    return images, labels


def test_batches_shapes_range_and_drop_last():
    images, labels = _images(10)
    indices = torch.arange(10)
    batches = list(iterate_batches(images, labels, indices, 4, False, torch.Generator()))
    assert [x.shape for x, _ in batches] == [(4, 3, 4, 4)] * 2  # last incomplete batch dropped
    x, y = batches[1]
    assert x.dtype == torch.float32 and x.min() == -1.0 and x.max() == 1.0
    assert torch.equal(y, labels[4:8])
    assert torch.allclose((x[:, 1, 0, 1] + 1) * 127.5, torch.arange(4, 8).float())


def test_tiny_dataset_yields_one_small_batch():
    images, labels = _images(3)
    batches = list(iterate_batches(images, labels, torch.arange(3), 8, True, torch.Generator()))
    assert len(batches) == 1 and batches[0][0].shape == (3, 3, 4, 4)
    assert list(iterate_batches(images, labels, torch.arange(0), 8, True, torch.Generator())) == []


def test_flips_are_random_per_image_and_reproducible():
    images, labels = _images(64)
    indices = torch.arange(64)

    def flipped(seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        (x, _), *_ = iterate_batches(images, labels, indices, 64, True, g)
        return x[:, 0, 0, 3] == 1.0  # the white column moved to the right

    mask = flipped(0)
    assert 10 < int(mask.sum()) < 54  # some flipped, some not
    assert torch.equal(mask, flipped(0)) and not torch.equal(mask, flipped(1))
    (x, _), *_ = iterate_batches(images, labels, indices, 64, False, torch.Generator())
    assert (x[:, 0, 0, 0] == 1.0).all()  # no flips when disabled


def test_batches_follow_the_given_order():
    images, labels = _images(8)
    order = torch.tensor([7, 0, 3, 5])
    (x, y), = iterate_batches(images, labels, order, 4, False, torch.Generator())  # fmt: skip
    assert torch.allclose((x[:, 1, 0, 1] + 1) * 127.5, order.float())
    assert torch.equal(y, labels[order])
