"""Virality on synthetic cascades whose answer is known."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from classifiers.virality import MetricSnapshot, forecast, score_virality, virality_score

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def cascade(total: float, tau: float, hours: list[float], seed: int = 0) -> list[MetricSnapshot]:
    """Snapshots of a post whose cumulative engagement is total * (1 - exp(-t/tau)), with Poisson noise."""
    rng = np.random.default_rng(seed)
    mean = total * (1 - np.exp(-np.asarray(hours) / tau))
    counts = np.cumsum(rng.poisson(np.diff(np.concatenate([[0.0], mean]))))
    return [
        MetricSnapshot(at=T0 + timedelta(hours=h), likes=int(c), views=int(c) * 40)
        for h, c in zip(hours, counts)
    ]


def test_engagement_weights_shares_and_quotes_double():
    assert MetricSnapshot(at=T0, likes=10, shares=3, replies=2, quotes=1).engagement == 20


def test_velocity_and_acceleration_exact():
    snaps = [
        MetricSnapshot(at=T0 + timedelta(hours=1), likes=10),
        MetricSnapshot(at=T0 + timedelta(hours=2), likes=40),
    ]
    v = score_virality(snaps, T0, followers=1000)
    assert v.velocity_per_hour == 30.0
    # velocities 10/h then 30/h, midpoints 1 hour apart
    assert v.acceleration_per_hour2 == 20.0
    assert v.engagement == 40
    assert v.snapshots == 2


@pytest.mark.parametrize(("total", "tau"), [(2000, 3.0), (500, 10.0), (20000, 1.5)])
def test_forecast_recovers_known_cascade(total, tau):
    snaps = cascade(total, tau, [0.5, 1, 2, 3, 4])
    v = score_virality(snaps, T0, followers=5000)
    truth = total * (1 - np.exp(-24 / tau))
    assert v.forecast_low <= truth <= v.forecast_high
    assert abs(v.forecast_24h - truth) / truth < 0.3


def test_band_covers_truth_about_80_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = 0
    for i in range(200):
        total, tau = 10 ** rng.uniform(1.5, 4.5), float(np.exp(rng.normal(np.log(6), 1)))
        hours = [0.5, 1, 2, 3, 4]
        snaps = cascade(total, tau, hours, seed=i)
        _, low, high = forecast(hours, [s.engagement for s in snaps])
        hits += low <= total * (1 - np.exp(-24 / tau)) <= high
    assert 0.65 <= hits / 200 <= 0.95


def test_band_narrows_with_more_snapshots():
    early = score_virality(cascade(3000, 5.0, [0.5]), T0, 1000)
    later = score_virality(cascade(3000, 5.0, [0.5, 1, 2, 4, 6, 8]), T0, 1000)
    assert later.forecast_high / later.forecast_low < early.forecast_high / early.forecast_low


def test_forecast_never_below_what_was_seen():
    snaps = [MetricSnapshot(at=T0 + timedelta(hours=h), likes=c) for h, c in [(1, 100), (5, 100), (10, 100)]]
    v = score_virality(snaps, T0, followers=100)
    assert v.forecast_low >= 100
    assert v.velocity_per_hour == 0.0


def test_no_engagement_scores_zero():
    v = score_virality([], T0, followers=None, now=T0 + timedelta(hours=2))
    assert (v.score, v.forecast_24h, v.velocity_per_hour, v.age_hours) == (0.0, 0.0, 0.0, 2.0)


def test_score_orders_posts_sensibly():
    quiet = score_virality(cascade(15, 4.0, [1, 2]), T0, followers=300)
    viral = score_virality(cascade(5000, 4.0, [1, 2, 3]), T0, followers=2000)
    assert quiet.score < 40 < 70 < viral.score
    # the same numbers mean more from a small account than from a celebrity
    assert virality_score(2000, 5000, 100, 0) > virality_score(2000, 2_000_000, 100, 0)
    # speeding up scores higher than slowing down
    assert virality_score(500, 1000, 50, 30) > virality_score(500, 1000, 50, -30)
    assert 0 <= virality_score(10**9, 1, 10**6, 10**6) <= 100
