"""Data layer: find images and labels, decode them once, cache uint8 tensors, serve batches."""

from pokegen.data.dataset import Dataset, load_dataset
from pokegen.data.sampler import (
    class_balanced_weights,
    epoch_indices,
    iterate_batches,
    split_indices,
)
from pokegen.data.source import resolve_data_path
from pokegen.data.summary import describe, inspect_data

__all__ = [
    "Dataset",
    "class_balanced_weights",
    "describe",
    "epoch_indices",
    "inspect_data",
    "iterate_batches",
    "load_dataset",
    "resolve_data_path",
    "split_indices",
]
