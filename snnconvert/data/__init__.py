"""Datasets for training, converting and benchmarking models."""

from snnconvert.data.datasets import DATASETS, DatasetInfo, load_dataset, resolve_data_dir
from snnconvert.data.idx import read_idx
from snnconvert.data.sources import load_images

__all__ = ["DATASETS", "DatasetInfo", "load_dataset", "load_images", "read_idx", "resolve_data_dir"]
