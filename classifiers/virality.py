"""Virality: how fast and how far a post is spreading, from its metric snapshots over time.

Method
------
*Engagement* is ``likes + replies + 2 * (shares + quotes)``: a share or a quote puts the post in front of
a new audience, so it counts double. Views are not engagement (not every platform reports them, and they
are orders of magnitude larger): they enter the score's reach, below.

*Velocity* is engagement gained per hour between the latest observation and the latest earlier one at
least ``MIN_RATE_INTERVAL_HOURS`` (5 minutes) before it (the post's creation counts as an observation of
zero, and is used when even it is less than 5 minutes before; a count below an earlier one, a platform's
recount, gains nothing, and getting back to the earlier count gains nothing either). Each source is polled
on its own clock, so two snapshots of one post can be seconds apart: one like in 3 seconds is not 1,200
an hour. *Acceleration* is the change of velocity per hour between that interval and the one before it,
which ends where it starts and is at least 5 minutes long too (none when there is no such interval).

*Forecast.* Attention to a post decays as a power law of its age, not exponentially (Zhao et al. 2015,
"SEISMIC"; Kobayashi & Lambiotte 2016, "TiDeH"): its long tail is what an exponential memory misses. The
forecast takes the simplest such law, a rate that falls as ``1 / (age + s0)`` (SEISMIC's kernel is flat
for its first 5 minutes, then falls as age^-1.24; on the fit part an exponent of 1 forecast better), and
reads the current rate off the latest window of the post's own history: the engagement gained in the last
quarter of its age (at least 10 minutes). Under that law the engagement still to come by 24 hours is the
window's gain times ``ln((24 h + s0) / (T + s0)) / ln((T + s0) / (T - w + s0))`` for age ``T``, window
``w`` and ``s0`` = 1 minute. Nothing in the power law is fitted: the law, the window and ``s0``
were chosen on the fit part of the real cascades below (``RT1``-``RT35``), by median error, at ages of
10 minutes and more. A post younger than ``FORECAST_MIN_AGE_HOURS`` (10 minutes) is forecast as one of
10 minutes with the same counts: what was seen was reached in at most that time, and read at its own age
(seconds, or a creation time skewed by the platform's clock) the ratio above grows without bound.

*Reach.* Who shared the post so far corrects the power law in the first hours: shares from accounts that
reach many people keep a post spreading, shares from accounts with a few dozen followers mean it burns
out sooner (the exposure that SEISMIC builds on; Zhao et al. 2015). With ``m`` the median of
log10(1 + followers) over the sharers whose follower counts the platform gave (X's retweeters and the
authors of stored posts that quote it), shrunk
toward ``REACH_CENTRE`` as if ``REACH_PRIOR_SHARES`` more sharers sat there (one famous sharer among three
moves little), what is still to come is multiplied by ``exp(REACH_SLOPE * (m - REACH_CENTRE) * exp(-age /
1 h))``, bounded to a factor ``REACH_MAX_FACTOR`` either way. It fades with age because the post's own
recent rate already carries the sharers' effect later on. Without any follower count (Facebook) the
factor is 1. Centre and slope are fitted on the fit part by least absolute log error
(``classifiers.cascades.fit_reach``); the fade's time (1 hour; 30 minutes and 2 hours were also tried
on the fit part, leaving each cascade out, and did worse at one hour), the prior and the bound were set
by hand.

*Band.* The 80 % band is about what is still to come: it multiplies ``1 + the forecast's future part`` by
the 10th and 90th percentiles of log((1 + real future) / (1 + forecast future)), fitted as quadratics in
log(age) on the fit part at every 10 minutes to 6 hours (``BAND_LOW``,
``BAND_HIGH``; ``repmon evaluate-virality --fit`` refits and prints them, with the coverage each cascade
gets from reach constants and a band fitted without it: 74, 74, 77 and 83 % at 30 minutes, 1, 3 and 6
hours on the fit part); after 6 hours the offsets shrink with the share of the day still
to come, to nothing at 24 hours. Thin data widens it honestly:
the window's gain is a Poisson count, and its own 10th and 90th percentiles (a Gamma posterior under
Jeffreys' prior, far apart for a post with 3 likes and close for one with 3,000) are added to the fitted
offsets in quadrature, on the log scale. A forecast is never below what was already seen.

*Other signals.* Likes, replies and quotes enter through engagement. Candidates were compared on the fit
part only, each cascade forecast by constants fitted without it (``python
scripts/compare_virality_forecasters.py``; median absolute error at 30 min / 1 h / 3 h / 6 h): this
forecast 21.7 / 25.7 / 17.9 / 12.5 %; the power law on the post's own history alone (the forecast before
the reach correction, and still Facebook's) 33.6 / 26.9 / 19.4 / 12.5 %; SEISMIC with the exposure each
share brought (s0 5 minutes, theta 0.242, n* 50) 45.9 / 37.3 / 26.6 / 10.4 %; its geometric mean with the
power law 37.8 / 23.7 / 17.4 / 11.6 % (SEISMIC weighted 0.3); a growth ratio regressed on age and the power
law's growth 39.2 / 34.0 / 25.6 / 10.7 %. A growth ratio regressed on age, growth and the count seen so
far scores 18.6 / 20.4 / 21.5 / 13.5 %, but only because the collection holds large cascades only: it
forecasts 413 shares for a post with 3 shares after an hour (this forecast: 14).

*Measured* on real retweet cascades (``repmon evaluate-virality --cascades
../shared/datasets/virality-cascades``), held-aside part ``RT36``-``RT50`` (15 cascades, never fitted
or tuned on), median absolute error of the 24-hour forecast / 80 % band coverage:
30 min 31.4 % / 87 %, 1 h 18.8 % / 80 %, 3 h 16.4 % / 80 %, 6 h 5.8 % / 87 %; "no more growth" gives
64.8, 55.6, 28.4 and 11.4 %; before the reach correction 31.8, 26.0, 17.3 and 5.8 % / 93, 93, 80 and 87 %.
The idea of the reach correction came from a table of all 50 cascades' sharers beside their growth, the
held-aside ones included; its form and constants were chosen and fitted on the fit part alone. The README
has the whole table.

*Score* (0-100) rises with the forecast's size (log scale), with reach beyond the author's own audience
(the views so far per follower where the platform counts views, else ten people per forecast engagement,
whichever is more), and with positive
acceleration: a 5,000-follower account whose post heads for 2,000 engagements scores higher than a
celebrity's post with the same numbers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

HORIZON_HOURS = 24.0
# Velocity and acceleration are read over intervals of at least 5 minutes: snapshots seconds apart (each
# source polled on its own clock) would turn one like into a rate of hundreds an hour.
MIN_RATE_INTERVAL_HOURS = 5 / 60
ONSET_HOURS = 1 / 60  # s0: the rate falls as 1 / (age + s0)
WINDOW_SHARE = 0.25  # the current rate is read off the last quarter of the post's age...
WINDOW_MIN_HOURS = 1 / 6  # ...but at least its last 10 minutes
BAND_FIT_HOURS = (1 / 6, 6.0)  # the band's quantiles were fitted on these ages
# The forecast's law, window, s0 and reach constants were chosen and fitted on cascades watched from 10
# minutes of age on (their snapshots every 10 minutes); the evaluation starts at 30 minutes. A post younger
# than that (seen seconds after its creation, or after a creation time skewed by the platform's clock)
# is forecast as a post of 10 minutes with the same counts: what was seen was reached in at most that
# time. Read at its true age, 3 likes at 1 second forecast 1,320 and at 1 ms about 1.3 million.
FORECAST_MIN_AGE_HOURS = BAND_FIT_HOURS[0]
# log((1 + real future) / (1 + forecast future)) quantiles as c0 + c1 * log(hours) + c2 * log(hours)^2,
# fitted on RT1-RT35 by `repmon evaluate-virality --cascades ../shared/datasets/virality-cascades --fit`.
BAND_LOW = (-0.7976, 0.0312, -0.0843)
BAND_HIGH = (1.5227, 0.0441, 0.205)
_Z80 = 1.2815515655446004  # the standard normal's 90th percentile
# Reach: the sharers' audience. log(future multiplier) = REACH_SLOPE * (m - REACH_CENTRE) * exp(-age / 1 h),
# m the median of log10(1 + followers) over the sharers so far, shrunk toward the centre as if
# REACH_PRIOR_SHARES more sharers sat there, and bounded to a factor REACH_MAX_FACTOR either way. Centre and
# slope fitted on RT1-RT35 by the same `repmon evaluate-virality ... --fit`.
REACH_CENTRE = 2.08
REACH_SLOPE = 4.45
REACH_FADE_HOURS = 1.0
REACH_PRIOR_SHARES = 10
REACH_MAX_FACTOR = 4.0


@dataclass(frozen=True)
class MetricSnapshot:
    """A post's public counters at one moment (timezone-aware UTC)."""

    at: datetime
    likes: int = 0
    shares: int = 0
    replies: int = 0
    quotes: int = 0
    views: int | None = None

    @property
    def engagement(self) -> int:
        return self.likes + self.replies + 2 * (self.shares + self.quotes)


@dataclass(frozen=True)
class Virality:
    """How a post is spreading now, and where it is heading in its first 24 hours."""

    score: float
    engagement: int
    velocity_per_hour: float
    acceleration_per_hour2: float
    forecast_24h: float
    forecast_low: float
    forecast_high: float
    age_hours: float
    snapshots: int


def _gamma_quantile(shape: float, z: float) -> float:
    """A quantile of Gamma(shape, 1), by the Wilson-Hilferty cube: ``z`` is the standard normal's."""
    c = 1.0 / (9.0 * shape)
    return max(shape * (1.0 - c + z * math.sqrt(c)) ** 3, 0.0)


def band_offsets(
    hours: float, low_coef: Sequence[float] = BAND_LOW, high_coef: Sequence[float] = BAND_HIGH
) -> tuple[float, float]:
    """The band's (low, high) log-offsets around the forecast at age ``hours``."""
    lo_h, hi_h = BAND_FIT_HOURS
    at = min(max(hours, lo_h), hi_h)
    lt = math.log(at)
    low = low_coef[0] + low_coef[1] * lt + low_coef[2] * lt * lt
    high = high_coef[0] + high_coef[1] * lt + high_coef[2] * lt * lt
    if hours > hi_h:  # less of the day is left to surprise: shrink to nothing at 24 hours
        left = math.log((HORIZON_HOURS + ONSET_HOURS) / (min(hours, HORIZON_HOURS) + ONSET_HOURS))
        scale = left / math.log((HORIZON_HOURS + ONSET_HOURS) / (hi_h + ONSET_HOURS))
        low, high = low * scale, high * scale
    return min(low, 0.0), max(high, 0.0)


def _seen_at(t: np.ndarray, e: np.ndarray, at: float) -> float:
    """Cumulative engagement at ``at`` hours, linear between observations (0 at the post's creation)."""
    return float(np.interp(at, np.concatenate([[0.0], t]), np.concatenate([[0.0], e])))


@dataclass(frozen=True)
class ForecastParts:
    """The band-free part of a forecast: what was seen, the point forecast of what is still to come, and
    the Poisson half-widths of log(1 + future) (the window's gain is a count: wide for 3 likes, narrow
    for 3,000). The band adds the offsets fitted on real cascades to these (``band_around``)."""

    age: float
    seen: float
    future: float
    poisson_low: float
    poisson_high: float


def sharer_reach(sharer_followers: Sequence[int | None] | None) -> tuple[int, float]:
    """How many sharers have a known follower count, and the median of their log10(1 + followers).
    Unknown (None) and unreadable counts (not a number, NaN) are skipped; a negative one counts as 0."""
    known = []
    for count in sharer_followers or ():
        try:
            value = float(count) if count is not None else math.nan
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            known.append(math.log10(1.0 + max(value, 0.0)))
    return len(known), float(np.median(known)) if known else 0.0


def reach_adjustment(
    age_hours: float,
    sharers: int,
    median_reach: float,
    centre: float = REACH_CENTRE,
    slope: float = REACH_SLOPE,
) -> float:
    """log of the factor on the forecast's future part for who shared the post so far (0 when nobody's
    followers are known, as on Facebook): ``sharers`` and ``median_reach`` come from ``sharer_reach``."""
    if sharers <= 0 or age_hours <= 0:
        return 0.0
    shrunk = (sharers * median_reach + REACH_PRIOR_SHARES * centre) / (sharers + REACH_PRIOR_SHARES)
    raw = slope * (shrunk - centre) * math.exp(-age_hours / REACH_FADE_HOURS)
    bound = math.log(REACH_MAX_FACTOR)
    return min(max(raw, -bound), bound)


def forecast_parts(
    hours: Sequence[float], engagement: Sequence[float], horizon: float = HORIZON_HOURS, reach: float = 0.0
) -> ForecastParts:
    """The point forecast of cumulative engagement at ``horizon`` hours, split into its parts; ``reach``
    (``reach_adjustment``) scales what is still to come by ``exp(reach)``."""
    t = np.asarray(hours, dtype=float)
    e = np.asarray(engagement, dtype=float)
    finite = np.isfinite(t) & np.isfinite(e)
    # A count dated at or before the post's creation (the platform's clock ahead of ours) says nothing of
    # the rate, but it was seen: the forecast is never below it.
    before = e[finite & (t <= 0)]
    floor = max(float(before.max()), 0.0) if len(before) else 0.0
    keep = finite & (t > 0)
    t, e = t[keep], e[keep]
    if len(t) == 0:
        return ForecastParts(0.0, floor, 0.0, 0.0, 0.0)
    order = np.argsort(t, kind="stable")
    t, e = t[order], np.maximum.accumulate(np.maximum(e[order], 0.0))  # counters never go down
    seen, age = max(float(e[-1]), floor), float(t[-1])
    if age < FORECAST_MIN_AGE_HOURS:  # as a post of the minimum age with these counts (see the constant)
        t, e, age = np.array([FORECAST_MIN_AGE_HOURS]), e[-1:], FORECAST_MIN_AGE_HOURS
    if age >= horizon:
        return ForecastParts(age, seen, 0.0, 0.0, 0.0)
    window = min(max(WINDOW_MIN_HOURS, WINDOW_SHARE * age), age)
    gained = seen - _seen_at(t, e, age - window)
    s0 = ONSET_HOURS
    ratio = math.log((horizon + s0) / (age + s0)) / math.log((age + s0) / (age - window + s0))
    ratio *= math.exp(reach)
    future = ratio * gained
    centre = math.log1p(future)
    poisson_low = centre - math.log1p(ratio * min(_gamma_quantile(gained + 0.5, -_Z80), gained))
    poisson_high = math.log1p(ratio * max(_gamma_quantile(gained + 0.5, _Z80), gained)) - centre
    return ForecastParts(age, seen, future, poisson_low, poisson_high)


def band_around(parts: ForecastParts, low_off: float, high_off: float) -> tuple[float, float]:
    """The 80 % band (low, high) of a forecast: two uncertainties on log(1 + future), the Poisson count
    of the window and the fitted offsets for how real cascades slow down or surge again, in quadrature."""
    centre = math.log1p(parts.future)
    mid = parts.seen + parts.future
    low = parts.seen + max(math.expm1(centre - math.hypot(parts.poisson_low, low_off)), 0.0)
    high = parts.seen + max(math.expm1(centre + math.hypot(parts.poisson_high, high_off)), parts.future)
    return min(low, mid), high


def forecast(
    hours: Sequence[float], engagement: Sequence[float], horizon: float = HORIZON_HOURS, reach: float = 0.0
) -> tuple[float, float, float]:
    """Median, low (10 %) and high (90 %) forecast of cumulative engagement at ``horizon`` hours."""
    parts = forecast_parts(hours, engagement, horizon, reach)
    if parts.future <= 0.0 and parts.poisson_high <= 0.0:
        return parts.seen, parts.seen, parts.seen
    low, high = band_around(parts, *band_offsets(parts.age))
    return parts.seen + parts.future, low, high


_SAME_MOMENT_HOURS = 1e-6  # observations closer than this (3.6 ms) are the same moment


def _rate_start(
    pts: Sequence[tuple[float, float]], end: float, *, fall_back_to_creation: bool
) -> tuple[float, float] | None:
    """The latest observation at least ``MIN_RATE_INTERVAL_HOURS`` before ``end`` (``pts`` sorted by time,
    the post's creation first; the last of those at one moment holds the highest count). When there is
    none, the creation if ``fall_back_to_creation`` and it is before ``end`` at all, else None."""
    start = None
    for h, e in pts:
        if h <= end - MIN_RATE_INTERVAL_HOURS + _SAME_MOMENT_HOURS:
            start = (h, e)
        else:
            break
    if start is None and fall_back_to_creation:
        at_creation = [p for p in pts if p[0] - pts[0][0] < _SAME_MOMENT_HOURS]
        if end - at_creation[-1][0] >= _SAME_MOMENT_HOURS:
            start = at_creation[-1]
    return start


def score_virality(
    snapshots: Sequence[MetricSnapshot],
    created_at: datetime,
    followers: int | None,
    now: datetime | None = None,
    *,
    sharer_followers: Sequence[int | None] | None = None,
) -> Virality:
    """Velocity, acceleration, 24-hour forecast with its band, and a 0-100 virality score.

    ``sharer_followers``: the follower counts of those who shared or quoted the post so far, where the
    platform gives them (X's retweeters and quote authors; None for an unknown one); without them the
    forecast reads the post's own history alone."""
    snaps = sorted(snapshots, key=lambda s: s.at)
    now = now or (snaps[-1].at if snaps else created_at)
    age = max((now - created_at).total_seconds() / 3600.0, 0.0)
    hours = [0.0] + [max((s.at - created_at).total_seconds() / 3600.0, 0.0) for s in snaps]
    eng = [0.0] + [float(s.engagement) for s in snaps]
    # Velocity and acceleration over the latest intervals of at least MIN_RATE_INTERVAL_HOURS, on the
    # counts so far at their highest: a recount that dips and comes back is no growth, as in the forecast.
    pts = list(zip(hours, itertools.accumulate(eng, max)))
    velocity = acceleration = 0.0
    h2, e2 = pts[-1]
    start = _rate_start(pts, h2, fall_back_to_creation=True)
    if start is not None:
        h1, e1 = start
        velocity = max(e2 - e1, 0.0) / (h2 - h1)
        before = _rate_start(pts, h1, fall_back_to_creation=False)
        if before is not None:  # none when the interval above fell back to a creation under 5 minutes ago
            h0, e0 = before
            v_prev = max(e1 - e0, 0.0) / (h1 - h0)
            acceleration = (velocity - v_prev) / ((h2 - h0) / 2)
    reach_age = max(hours[-1], FORECAST_MIN_AGE_HOURS)  # the forecast's own age for a post that young
    mid, low, high = forecast(hours, eng, reach=reach_adjustment(reach_age, *sharer_reach(sharer_followers)))
    views = max((sn.views for sn in snaps if sn.views is not None), default=None)
    score = virality_score(mid, followers, velocity, acceleration, views)
    return Virality(
        score=score,
        engagement=int(eng[-1]),
        velocity_per_hour=round(velocity, 3),
        acceleration_per_hour2=round(acceleration, 3),
        forecast_24h=round(mid, 1),
        forecast_low=round(low, 1),
        forecast_high=round(high, 1),
        age_hours=round(age, 3),
        snapshots=len(snaps),
    )


def virality_score(
    forecast_24h: float,
    followers: int | None,
    velocity: float,
    acceleration: float,
    views: int | None = None,
) -> float:
    """0-100 from forecast size (log scale), reach beyond the author's audience, and acceleration.

    Reach is the people the post reaches per follower of its author: its views so far where the platform
    counts them (X's impressions), or ten people per forecast engagement, whichever is more."""
    size = 22.0 * math.log10(1.0 + max(forecast_24h, 0.0))  # 10 -> 23, 1,000 -> 66, 30,000 -> 98
    audience = max(followers or 0, 100)
    reached = max(10.0 * max(forecast_24h, 0.0), float(max(views or 0, 0)))
    reach = 12.0 * math.log10(1.0 + reached / audience)
    trend = 0.0
    if velocity > 0 and acceleration > 0:
        trend = 8.0 * min(1.0, acceleration / velocity)  # speeding up: up to +8
    return round(min(100.0, max(0.0, size + reach + trend)), 1)
