"""Real retweet cascades: reading them, fitting the forecast band, and measuring the 24-hour forecast.

The format is that of ``../shared/datasets/virality-cascades/`` (Kobayashi & Lambiotte 2016, from the
SEISMIC collection): line 1 ``retweets start_time``; line 2 ``0 followers`` (the original post); then one
line per retweet, ``seconds_since_post followers_of_retweeter``, in time order.

The measurement replays what repmon sees of a post: a metric snapshot every 10 minutes (shares = retweets
so far) up to the observation time, given to ``score_virality`` through the same door as the pipeline,
and compares its 24-hour forecast with the real count at 24 hours. Two reference forecasters stand beside
it: "no more growth" (the forecast is what was seen) and "seen x a constant", the median 24-hour growth
ratio at that observation time learned on the fit part.

The split is fixed by file name: ``RT1`` to ``RT35`` are the fit part (the band's quantiles are fitted
on them, and the window and decay were chosen on them), ``RT36`` to ``RT50`` are held aside and never
fitted or tuned on. Files with other names count as held aside.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from classifiers.errors import ClassifierError
from classifiers.virality import (
    HORIZON_HOURS,
    REACH_CENTRE,
    REACH_FADE_HOURS,
    REACH_MAX_FACTOR,
    REACH_PRIOR_SHARES,
    REACH_SLOPE,
    ForecastParts,
    MetricSnapshot,
    band_around,
    band_offsets,
    forecast_parts,
    reach_adjustment,
    score_virality,
    sharer_reach,
)

FIT_LAST = 35  # RT1..RT35 are the fit part; RT36..RT50 are held aside
OBSERVE_HOURS = (0.5, 1.0, 3.0, 6.0)
SNAPSHOT_MINUTES = 10
FIT_HOURS = tuple(m / 60 for m in range(SNAPSHOT_MINUTES, 6 * 60 + 1, SNAPSHOT_MINUTES))
_T0 = datetime(2020, 1, 1, tzinfo=UTC)  # cascades carry relative times only


class CascadeError(ClassifierError):
    """A cascade file that is not in the documented format; the message names the file and line."""


@dataclass(frozen=True)
class Cascade:
    name: str
    author_followers: int
    hours: np.ndarray  # each retweet's time since the post, in hours, sorted
    followers: np.ndarray  # each retweeter's follower count

    @property
    def number(self) -> int | None:
        found = re.fullmatch(r"RT(\d+)", self.name)
        return int(found.group(1)) if found else None

    @property
    def held_aside(self) -> bool:
        return self.number is None or self.number > FIT_LAST

    def count_at(self, hours: float) -> int:
        return int(np.searchsorted(self.hours, hours, side="right"))

    def snapshots(self, observed_hours: float) -> list[MetricSnapshot]:
        """A snapshot every 10 minutes up to ``observed_hours`` (shares = retweets so far)."""
        steps = round(observed_hours * 60 / SNAPSHOT_MINUTES)
        return [
            MetricSnapshot(
                at=_T0 + timedelta(minutes=SNAPSHOT_MINUTES * k),
                shares=self.count_at(SNAPSHOT_MINUTES * k / 60),
            )
            for k in range(1, steps + 1)
        ]


def read_cascade(path: Path) -> Cascade:
    """One cascade file; ``CascadeError`` names the file and line of anything unreadable."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CascadeError(
            f"{path}: cannot read ({exc}): expected a text file of the cascade format"
        ) from None
    rows: list[tuple[float, float]] = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split()
        try:
            seconds, followers = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            raise CascadeError(
                f"{path}:{n}: expected 'seconds_since_post followers', got {line[:60]!r}"
            ) from None
        if not (math.isfinite(seconds) and seconds >= 0 and math.isfinite(followers) and followers >= 0):
            raise CascadeError(f"{path}:{n}: times and follower counts must be numbers of 0 or more")
        rows.append((seconds, followers))
    if not rows:
        raise CascadeError(f"{path}: no original post (line 2): expected the cascade format")
    (_, author), shares = rows[0], sorted(rows[1:])
    return Cascade(
        name=path.stem,
        author_followers=int(author),
        hours=np.array([s for s, _ in shares]) / 3600.0,
        followers=np.array([f for _, f in shares]),
    )


def read_cascades(folder: Path) -> list[Cascade]:
    """Every ``*.txt`` cascade in ``folder`` (LICENSE and README files are not cascades), by number."""
    files = sorted(p for p in Path(folder).glob("*.txt") if p.stem.upper() not in {"LICENSE", "README"})
    if not files:
        raise CascadeError(f"{folder}: no cascade files (*.txt): point --cascades at the cascades' folder")
    found = [read_cascade(p) for p in files]
    return sorted(found, key=lambda c: (c.number is None, c.number or 0, c.name))


def forecast_of(cascade: Cascade, observed_hours: float) -> tuple[float, float, float]:
    """repmon's 24-hour forecast of the cascade's retweets after watching it for ``observed_hours``:
    (median, low, high), in retweets. It goes through ``score_virality``, as the pipeline does; engagement
    counts a share twice, so the figures are halved back into retweets."""
    snaps = cascade.snapshots(observed_hours)
    sharers = cascade.followers[: cascade.count_at(observed_hours)]
    v = score_virality(
        snaps, _T0, cascade.author_followers, now=snaps[-1].at, sharer_followers=[int(f) for f in sharers]
    )
    return v.forecast_24h / 2, v.forecast_low / 2, v.forecast_high / 2


@dataclass(frozen=True)
class Row:
    """One forecaster at one observation time over a set of cascades."""

    forecaster: str
    observed_hours: float
    cascades: int
    median_abs_error: float
    within_25: float
    band_coverage: float | None


def growth_constants(cascades: Sequence[Cascade]) -> dict[float, float]:
    """The reference "seen x a constant": the median 24-hour growth ratio at each observation time."""
    out = {}
    for hours in OBSERVE_HOURS:
        ratios = [c.count_at(HORIZON_HOURS) / c.count_at(hours) for c in cascades if c.count_at(hours) > 0]
        out[hours] = float(np.median(ratios)) if ratios else 1.0
    return out


def evaluate(cascades: Sequence[Cascade], constants: dict[float, float]) -> list[Row]:
    """Median absolute error (relative to the real 24-hour count), the share within 25 %, and how often
    the 80 % band holds the real count, at each observation time, for repmon and the two references."""
    rows: list[Row] = []
    for hours in OBSERVE_HOURS:
        usable = [c for c in cascades if c.count_at(HORIZON_HOURS) > 0]
        truth = np.array([c.count_at(HORIZON_HOURS) for c in usable], dtype=float)
        seen = np.array([c.count_at(hours) for c in usable], dtype=float)
        ours = [forecast_of(c, hours) for c in usable]
        mid = np.array([f[0] for f in ours])
        covered = np.array([f[1] <= t <= f[2] for f, t in zip(ours, truth)])
        for name, guess, band in (
            ("repmon", mid, covered),
            ("no more growth", seen, None),
            ("seen x constant", seen * constants[hours], None),
        ):
            err = np.abs(guess - truth) / truth
            rows.append(
                Row(
                    name,
                    hours,
                    len(usable),
                    float(np.median(err)) if len(err) else float("nan"),
                    float(np.mean(err <= 0.25)) if len(err) else float("nan"),
                    float(np.mean(band)) if band is not None and len(band) else None,
                )
            )
    return rows


def quantile_regression(x: np.ndarray, y: np.ndarray, q: float, iterations: int = 200) -> np.ndarray:
    """Coefficients of the ``q`` quantile of ``y`` given the columns of ``x`` (an intercept is added), by
    iteratively reweighted least squares on the pinball loss."""
    a = np.column_stack([np.ones(len(x)), x])
    w = np.linalg.lstsq(a, y, rcond=None)[0]
    for _ in range(iterations):
        r = y - a @ w
        weight = np.where(r >= 0, q, 1 - q) / np.maximum(np.abs(r), 1e-4)
        w = np.linalg.solve(a.T @ (a * weight[:, None]) + 1e-8 * np.eye(a.shape[1]), a.T @ (weight * y))
    return w


@dataclass(frozen=True)
class BandRow:
    """A cascade watched for ``hours``: its 10-minute history and the real 24-hour count, in engagement
    units (a share counts twice) as ``forecast`` sees them, with its sharers' reach at that age; ``parts``
    is the forecast with the reach constants the row was made with."""

    cascade: str
    hours: float
    times: tuple[float, ...]
    engagement: tuple[float, ...]
    sharers: int
    median_reach: float
    truth: float
    parts: ForecastParts

    def with_reach(self, centre: float, slope: float) -> BandRow:
        """The same row, forecast with other reach constants."""
        reach = reach_adjustment(self.hours, self.sharers, self.median_reach, centre, slope)
        return replace(self, parts=forecast_parts(self.times, self.engagement, reach=reach))

    @property
    def residual(self) -> float:
        """log((1 + real future) / (1 + forecast future))."""
        return math.log((1.0 + self.truth - self.parts.seen) / (1.0 + self.parts.future))

    def covered(self, low_coef: Sequence[float], high_coef: Sequence[float]) -> bool:
        low, high = band_around(self.parts, *band_offsets(self.hours, low_coef, high_coef))
        return low <= self.truth <= high


def band_rows(
    cascades: Sequence[Cascade],
    hours: Sequence[float] = FIT_HOURS,
    centre: float = REACH_CENTRE,
    slope: float = REACH_SLOPE,
) -> list[BandRow]:
    """Every cascade watched through its 10-minute snapshots for each of ``hours``, forecast with the
    reach constants ``centre`` and ``slope`` (slope 0: the post's own history alone)."""
    out = []
    for c in cascades:
        truth = 2.0 * c.count_at(HORIZON_HOURS)
        for h in hours:
            snaps = c.snapshots(h)
            times = (0.0, *((s.at - _T0).total_seconds() / 3600.0 for s in snaps))
            eng = (0.0, *(float(s.engagement) for s in snaps))
            n, m = sharer_reach([int(f) for f in c.followers[: c.count_at(h)]])
            reach = reach_adjustment(h, n, m, centre, slope)
            out.append(BandRow(c.name, h, times, eng, n, m, truth, forecast_parts(times, eng, reach=reach)))
    return out


REACH_CENTRES = np.round(np.arange(1.5, 3.0 + 1e-9, 0.02), 2)  # the grid the reach constants are fitted on
REACH_SLOPES = np.round(np.arange(0.0, 6.0 + 1e-9, 0.05), 2)


def fit_reach(rows: Sequence[BandRow]) -> tuple[float, float]:
    """The reach constants (centre, slope) that minimise the absolute log error of the forecast's future
    part over ``rows`` (least absolute deviations, on a grid: centre 1.5-3 by 0.02, slope 0-6 by 0.05).
    The same correction as ``reach_adjustment``, computed for every row and grid point at once."""
    base = [r.with_reach(REACH_CENTRE, 0.0) for r in rows]
    residual = np.array([r.residual for r in base])
    n = np.array([r.sharers for r in rows], dtype=float)
    m = np.array([r.median_reach for r in rows])
    fade = np.exp(-np.array([r.hours for r in rows]) / REACH_FADE_HOURS) * (n > 0)
    # the reach scales the forecast's future by exp(adj): the residual falls by what log(1 + future) gains
    future = np.array([r.parts.future for r in base])
    bound = math.log(REACH_MAX_FACTOR)
    best = (math.inf, REACH_CENTRE, 0.0)
    for centre in REACH_CENTRES:
        shrunk = (n * m + REACH_PRIOR_SHARES * centre) / (n + REACH_PRIOR_SHARES)
        adj = np.clip(REACH_SLOPES[:, None] * ((shrunk - centre) * fade)[None, :], -bound, bound)
        moved = np.log1p(future[None, :] * np.exp(adj)) - np.log1p(future[None, :])
        loss = np.abs(residual[None, :] - moved).sum(axis=1)
        j = int(np.argmin(loss))
        if loss[j] < best[0] - 1e-9:
            best = (float(loss[j]), float(centre), float(REACH_SLOPES[j]))
    return best[1], best[2]


def fit_band_rows(rows: Sequence[BandRow]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The 10 % and 90 % quantiles of the rows' residuals, as quadratics in log(hours), rounded."""
    lt = np.log([r.hours for r in rows])
    x, y = np.column_stack([lt, lt * lt]), np.array([r.residual for r in rows])
    low = tuple(round(float(v), 4) for v in quantile_regression(x, y, 0.1))
    high = tuple(round(float(v), 4) for v in quantile_regression(x, y, 0.9))
    return low, high


@dataclass(frozen=True)
class ForecastFit:
    """What ``repmon evaluate-virality --fit`` fits on the fit part: the reach constants, then the band's
    offsets around the forecast that uses them."""

    reach_centre: float
    reach_slope: float
    band_low: tuple[float, ...]
    band_high: tuple[float, ...]


def fit_rows(rows: Sequence[BandRow]) -> ForecastFit:
    """Reach constants from ``rows``, then the band around the forecast that uses them."""
    centre, slope = fit_reach(rows)
    low, high = fit_band_rows([r.with_reach(centre, slope) for r in rows])
    return ForecastFit(centre, slope, low, high)


def fit_forecast(cascades: Sequence[Cascade]) -> ForecastFit:
    """The reach constants and the band, fitted on ``cascades`` every 10 minutes to 6 hours."""
    return fit_rows(band_rows(cascades))


def fit_band(cascades: Sequence[Cascade]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The band's log-offsets around the forecast's future part (with the committed reach constants), as
    quadratics in log(hours): the 10 % and 90 % quantiles of log((1 + real future) / (1 + forecast
    future)) over the given cascades, every 10 minutes to 6 hours, in engagement units (a share counts
    twice) as ``forecast`` sees them."""
    return fit_band_rows(band_rows(cascades))


def loco_band_coverage(cascades: Sequence[Cascade]) -> dict[float, float]:
    """How often the band holds the real 24-hour count at each observation time when the reach constants
    and the band are fitted without the cascade they are judged on (leave one cascade out): the honest
    coverage on the fit part."""
    rows = band_rows(cascades)
    hits: dict[float, list[bool]] = {h: [] for h in OBSERVE_HOURS}
    for c in cascades:
        fitted = fit_rows([r for r in rows if r.cascade != c.name])
        for r in rows:
            if r.cascade == c.name and r.hours in hits:
                mine = r.with_reach(fitted.reach_centre, fitted.reach_slope)
                hits[r.hours].append(mine.covered(fitted.band_low, fitted.band_high))
    return {h: float(np.mean(v)) if v else float("nan") for h, v in hits.items()}


def report(rows: Sequence[Row], title: str) -> str:
    """The rows as a Markdown table under ``title``."""
    out = [
        f"{title}",
        "",
        "| observed for | forecaster | cascades | median abs. error | within ±25 % "
        "| 80 % band holds the truth |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        hours = f"{r.observed_hours * 60:.0f} min" if r.observed_hours < 1 else f"{r.observed_hours:g} h"
        band = "" if r.band_coverage is None else f"{100 * r.band_coverage:.0f} %"
        out.append(
            f"| {hours} | {r.forecaster} | {r.cascades} | {100 * r.median_abs_error:.1f} % | "
            f"{100 * r.within_25:.0f} % | {band} |"
        )
    return "\n".join(out)


__all__ = [
    "BandRow",
    "Cascade",
    "CascadeError",
    "ForecastFit",
    "band_rows",
    "evaluate",
    "fit_band",
    "fit_band_rows",
    "fit_forecast",
    "fit_reach",
    "fit_rows",
    "growth_constants",
    "loco_band_coverage",
    "read_cascade",
    "read_cascades",
    "report",
]
