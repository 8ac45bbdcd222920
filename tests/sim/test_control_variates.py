"""Control-variate estimates: the right mean, honest intervals, narrower when controls explain."""

from __future__ import annotations

import numpy as np
import pytest

from helpline.sim.control_variates import controlled_estimate
from helpline.sim.replications import estimate


def _batches(rng: np.random.Generator, k: int, slope: float, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``k`` batches of y = 0.4 + slope * x + noise, with a control x of true mean 0."""
    x = rng.normal(0.0, 1.0, k)
    return 0.4 + slope * x + rng.normal(0.0, noise, k), x


def test_a_control_that_explains_most_of_the_spread_narrows_the_interval() -> None:
    rng = np.random.default_rng(7)
    y, x = _batches(rng, 20, slope=0.05, noise=0.01)
    plain = estimate(list(y))
    controlled = controlled_estimate(list(y), [list(x)])
    assert plain is not None and controlled is not None
    assert controlled.half_width < plain.half_width / 3
    assert abs(controlled.mean - 0.4) < 2 * controlled.half_width  # coverage: the next test
    assert controlled.n == 20


def test_intervals_cover_the_true_mean_about_as_often_as_they_claim() -> None:
    rng = np.random.default_rng(11)
    covered = 0
    errors = []
    for _ in range(400):
        y, x = _batches(rng, 20, slope=0.03, noise=0.01)
        e = controlled_estimate(list(y), [list(x)])
        assert e is not None
        covered += e.low <= 0.4 <= e.high
        errors.append(e.mean - 0.4)
    assert 0.91 <= covered / 400 <= 0.99
    assert abs(float(np.mean(errors))) < 0.002  # no bias worth the name


def test_with_no_controls_it_is_the_batch_means_estimate() -> None:
    values = [0.41, 0.39, 0.42, 0.40, 0.38]
    controlled = controlled_estimate(values, [])
    plain = estimate(values)
    assert controlled is not None and plain is not None
    assert controlled.mean == pytest.approx(plain.mean)
    assert controlled.half_width == pytest.approx(plain.half_width)


def test_too_few_batches_for_the_controls_give_no_estimate() -> None:
    assert controlled_estimate([0.4, 0.5, 0.45], [[0.1, -0.1, 0.0], [0.2, 0.0, -0.2]]) is None


def test_controls_that_do_not_vary_independently_are_refused() -> None:
    x = [0.1, -0.2, 0.3, 0.0, -0.1, 0.2]
    with pytest.raises(ValueError, match="linearly dependent"):
        controlled_estimate([0.4, 0.41, 0.39, 0.4, 0.42, 0.38], [x, [2 * v for v in x]])


def test_a_control_per_batch_is_required() -> None:
    with pytest.raises(ValueError, match="5 values but 4 batches"):
        controlled_estimate([0.4] * 5, [[0.0] * 4])
