"""Control variates: a tighter estimate from one run, using inputs whose true mean is known.

Method
------
A simulation's figure (say the share of calls answered at once) wanders with its inputs: a
stretch with more arrivals or longer handle times than the model's means answers fewer calls at
once. The model's input means are known exactly, so how far a run's inputs drifted from them can
be measured, and the share corrected for it (Lavenberg and Welch 1981; Law, *Simulation Modeling
and Analysis*, section 11.4).

With ``K`` batches of simulated time, ``y_k`` the figure in batch ``k`` and ``x_k`` the ``q``
controls of that batch (each an input's sample mean minus its known mean), the estimate is::

    theta = mean(y) - beta . mean(x)

where ``beta`` is the least-squares slope of ``y`` on ``x`` over the batches. It is unbiased for
a known ``beta`` and nearly so for a fitted one; its variance is the regression's residual
variance ``s^2 = SSE / (K - q - 1)`` times ``1/K + mean(x)' (Xc' Xc)^-1 mean(x)`` (``Xc`` the
centred controls), and the confidence interval is Student's t on ``K - q - 1`` degrees of
freedom. When the controls explain little, the interval is about as wide as the batch-means
one; when they explain much (Erlang A's share answered at once near full load: about 85% of its
variance over a run), it is narrower.

Batches must be long against the system's relaxation time (as for batch means), and a control's
mean must be known without the model's answer: arrivals per unit of time and mean handle time
qualify, a queue length does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from helpline.sim.replications import Estimate, t_quantile


def controlled_estimate(
    values: Sequence[float], controls: Sequence[Sequence[float]], confidence: float = 0.95
) -> Estimate | None:
    """The control-variate estimate of the mean of ``values`` (one per batch).

    ``controls`` holds one sequence per control, each with one entry per batch: the batch's
    sample mean of that input minus the input's known mean (so each control's true mean is 0).
    None when there are too few batches to fit the slopes and still estimate a variance
    (``K <= q + 1``).
    """
    y = np.asarray(values, dtype=float)
    k = len(y)
    x = np.asarray(controls, dtype=float).reshape(len(controls), -1).T if controls else np.zeros((k, 0))
    if x.shape[0] != k:
        raise ValueError(f"{k} values but {x.shape[0]} batches of controls")
    q = x.shape[1]
    if k <= q + 1:
        return None
    x_bar = x.mean(axis=0)
    xc = x - x_bar
    yc = y - y.mean()
    gram = xc.T @ xc
    if q and np.linalg.matrix_rank(gram) < q:
        raise ValueError("the controls are linearly dependent over these batches")
    beta = np.linalg.solve(gram, xc.T @ yc) if q else np.zeros(0)
    theta = float(y.mean() - x_bar @ beta)
    resid = yc - xc @ beta
    dof = k - q - 1
    s2 = float(resid @ resid) / dof
    spread = 1.0 / k + (float(x_bar @ np.linalg.solve(gram, x_bar)) if q else 0.0)
    return Estimate(theta, t_quantile(confidence, dof) * math.sqrt(s2 * spread), k)
