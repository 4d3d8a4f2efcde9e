"""Datasets for training, converting and benchmarking models."""

from snnconvert.data.datasets import DATASETS
from snnconvert.data.datasets import DatasetInfo
from snnconvert.data.datasets import load_dataset
from snnconvert.data.datasets import resolve_data_dir
from snnconvert.data.idx import read_idx

__all__ = ["DATASETS", "DatasetInfo", "load_dataset", "read_idx", "resolve_data_dir"]
