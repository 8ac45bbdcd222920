"""Random durations for the simulator: handle times, patience, ring delays.

Each distribution is a small frozen value with its ``mean`` and a ``sampler(rng)`` that returns
a zero-argument function drawing from a :class:`random.Random`; binding the parameters once
keeps the simulator's inner loop to one call per draw. Handle times from history are usually
right-skewed: :class:`LogNormal` fits one from a mean and standard deviation, or from a median
and either of the others.

``parse_distribution`` reads the command line's spelling: ``300`` or ``exp:300`` (exponential,
mean 300), ``lognormal:mean=300,sd=200``, ``lognormal:median=240,sd=200``,
``lognormal:median=240,mean=300``, ``fixed:5``, ``never`` (infinite: a caller who never
abandons).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final, Protocol

from helpline.sim.arrivals import exponential

Sampler = Callable[[], float]


class Distribution(Protocol):
    @property
    def mean(self) -> float: ...

    def sampler(self, rng: random.Random) -> Sampler: ...


@dataclass(frozen=True, slots=True)
class Exponential:
    mean: float

    def __post_init__(self) -> None:
        if not (self.mean > 0 and math.isfinite(self.mean)):
            raise ValueError(f"an exponential mean must be a positive number, got {self.mean!r}")

    def sampler(self, rng: random.Random) -> Sampler:
        uniform = rng.random
        rate = 1.0 / self.mean

        def draw() -> float:
            return exponential(uniform(), rate)

        return draw


@dataclass(frozen=True, slots=True)
class LogNormal:
    """exp(N(mu, sigma^2))."""

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        if not (self.sigma >= 0 and math.isfinite(self.sigma) and math.isfinite(self.mu)):
            raise ValueError(
                f"lognormal parameters must be finite with sigma >= 0, got {self.mu!r}, {self.sigma!r}"
            )

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    @property
    def sd(self) -> float:
        return self.mean * math.sqrt(math.expm1(self.sigma**2))

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> LogNormal:
        if not (mean > 0 and sd >= 0):
            raise ValueError(f"lognormal needs mean > 0 and sd >= 0, got mean={mean!r}, sd={sd!r}")
        sigma2 = math.log1p((sd / mean) ** 2)
        return cls(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    @classmethod
    def from_median_mean(cls, median: float, mean: float) -> LogNormal:
        if not (median > 0 and mean >= median):
            raise ValueError(f"lognormal needs 0 < median <= mean, got median={median!r}, mean={mean!r}")
        return cls(math.log(median), math.sqrt(2 * math.log(mean / median)))

    @classmethod
    def from_median_sd(cls, median: float, sd: float) -> LogNormal:
        if not (median > 0 and sd >= 0):
            raise ValueError(f"lognormal needs median > 0 and sd >= 0, got median={median!r}, sd={sd!r}")
        # sd^2 / median^2 = (x - 1) x with x = exp(sigma^2)
        x = (1 + math.sqrt(1 + 4 * (sd / median) ** 2)) / 2
        return cls(math.log(median), math.sqrt(math.log(x)))

    def sampler(self, rng: random.Random) -> Sampler:
        return partial(rng.lognormvariate, self.mu, self.sigma)


@dataclass(frozen=True, slots=True)
class Fixed:
    value: float

    def __post_init__(self) -> None:
        if not (self.value >= 0):
            raise ValueError(f"a fixed duration must be >= 0, got {self.value!r}")

    @property
    def mean(self) -> float:
        return self.value

    def sampler(self, rng: random.Random) -> Sampler:
        value = self.value
        return lambda: value


NEVER: Final = Fixed(math.inf)
"""A duration that never ends (patience of a caller who never hangs up)."""


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if math.isnan(value):
        raise ValueError(f"{what}: NaN is not a duration")
    return value


def parse_distribution(text: str) -> Distribution:
    """A distribution from its command-line spelling (see the module docstring)."""
    spec = text.strip().lower()
    if spec in ("never", "inf", "infinite", "none"):
        return NEVER
    kind, sep, rest = spec.partition(":")
    if not sep:
        return Exponential(_number(kind, "exponential mean"))
    if kind in ("exp", "exponential"):
        return Exponential(_number(rest, "exponential mean"))
    if kind == "fixed":
        return Fixed(_number(rest, "fixed duration"))
    if kind in ("lognormal", "lognorm"):
        params: dict[str, float] = {}
        for part in rest.split(","):
            name, eq, value = part.partition("=")
            name = name.strip()
            if not eq or name not in ("mean", "sd", "median"):
                raise ValueError(f"lognormal: expected mean=, sd= or median=, got {part.strip()!r}")
            params[name] = _number(value, f"lognormal {name}")
        if set(params) == {"mean", "sd"}:
            return LogNormal.from_mean_sd(params["mean"], params["sd"])
        if set(params) == {"median", "sd"}:
            return LogNormal.from_median_sd(params["median"], params["sd"])
        if set(params) == {"median", "mean"}:
            return LogNormal.from_median_mean(params["median"], params["mean"])
        raise ValueError("lognormal needs two of mean=, sd=, median= (e.g. lognormal:mean=300,sd=200)")
    raise ValueError(f"unknown distribution {kind!r} (use exp:MEAN, lognormal:mean=M,sd=S, fixed:S or never)")
