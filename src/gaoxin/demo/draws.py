"""Two small building blocks shared by the firm-year and zone models: a logistic curve and mean-1 noise."""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def mean1(rng: np.random.Generator, sigma: float, shape: Any) -> np.ndarray:
    """Log-normal factor with mean 1."""
    return rng.lognormal(-0.5 * sigma**2, sigma, shape)
