"""Virality on synthetic cascades whose answer is known."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from classifiers.virality import MetricSnapshot, forecast, score_virality, virality_score

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def cascade(total: float, onset: float, hours: list[float], seed: int = 0) -> list[MetricSnapshot]:
    """Snapshots of a post whose attention decays as a power law: engagement arrives at a rate
    A / (t + onset), so its expected cumulative engagement is A * ln(1 + t / onset), and ``total`` at
    24 hours. Poisson noise."""
    rng = np.random.default_rng(seed)
    rate = total / np.log(1 + 24 / onset)
    mean = rate * np.log1p(np.asarray(hours) / onset)
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


@pytest.mark.parametrize(("total", "onset"), [(2000, 0.5), (500, 2.0), (20000, 0.2)])
def test_forecast_recovers_known_cascade(total, onset):
    snaps = cascade(total, onset, [0.5, 1, 2, 3, 4])
    v = score_virality(snaps, T0, followers=5000)
    assert v.forecast_low <= total <= v.forecast_high
    assert abs(v.forecast_24h - total) / total < 0.3


def test_band_covers_truth_about_80_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = 0
    for i in range(200):
        total, onset = 10 ** rng.uniform(1.5, 4.5), float(np.exp(rng.normal(np.log(0.5), 1)))
        hours = [0.5, 1, 2, 3, 4]
        snaps = cascade(total, onset, hours, seed=i)
        truth = float(cascade(total, onset, [24.0], seed=i + 1000)[0].likes)  # another draw of the same post
        _, low, high = forecast(hours, [s.engagement for s in snaps])
        hits += low <= truth <= high
    # At least 80 %: these synthetic posts never surge again, as real cascades do; the band is fitted on
    # real cascades, and the test on the real held-aside ones checks it is not too wide there.
    assert hits / 200 >= 0.8


def test_band_narrows_with_more_snapshots():
    early = score_virality(cascade(3000, 0.5, [0.5]), T0, 1000)
    later = score_virality(cascade(3000, 0.5, [0.5, 1, 2, 4, 6, 8]), T0, 1000)
    assert later.forecast_high / later.forecast_low < early.forecast_high / early.forecast_low


def test_forecast_never_below_what_was_seen():
    snaps = [MetricSnapshot(at=T0 + timedelta(hours=h), likes=c) for h, c in [(1, 100), (5, 100), (10, 100)]]
    v = score_virality(snaps, T0, followers=100)
    assert v.forecast_low >= 100
    assert v.velocity_per_hour == 0.0


def test_counts_dated_at_or_before_the_posts_creation_are_still_seen():
    """A platform's clock ahead of ours gives a creation time after our own snapshot of the post (up to a
    day ahead is stored), or the same second: its counts were seen all the same. The forecast is never
    below them, and a post at 5,000 interactions still scores as one that spreads."""
    ahead = [MetricSnapshot(at=T0 - timedelta(minutes=10), likes=4000, shares=500)]
    for snaps, created in ((ahead, T0), ([MetricSnapshot(at=T0, likes=4000, shares=500)], T0)):
        v = score_virality(snaps, created, followers=1000, now=T0)
        assert v.engagement == 5000
        assert 5000 <= v.forecast_low <= v.forecast_24h <= v.forecast_high
        assert v.score >= 60
    # a count dated before creation, then a recount below it: still never below what was seen
    assert min(forecast([0.0, 0.5], [5000.0, 4800.0])) >= 5000.0
    assert forecast([-0.2, 0.0], [300.0, 5000.0]) == (5000.0, 5000.0, 5000.0)


def test_a_recount_that_dips_and_comes_back_is_not_growth():
    """A platform's recount reports 0 for a while, then the count it had: nothing was gained, the post
    is as stalled as before, and the glitch does not lift its score over the alert rule's 60."""

    def history(*minutes_likes):
        return [MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c) for m, c in minutes_likes]

    steady = score_virality(history((60, 280), (120, 300), (180, 300)), T0, followers=2000)
    v = score_virality(history((60, 280), (120, 300), (150, 0), (180, 300)), T0, followers=2000)
    assert (v.velocity_per_hour, v.forecast_24h, v.score) == (0.0, steady.forecast_24h, steady.score)
    assert v.score < 60
    # a dip to a lower count that then grows past the old one gains only what is beyond it
    dip = history((60, 280), (120, 300), (150, 250), (180, 330))
    assert score_virality(dip, T0, followers=2000).velocity_per_hour == 60.0


def test_snapshots_seconds_apart_are_not_a_fast_spread():
    """Each source is polled on its own clock, so one post can get two snapshots seconds apart: one more
    like 3 seconds after a stalled post's last snapshot is not 1,200 an hour, nor speeding up, and does
    not lift the post over the alert rule's 60. Rates are read over at least 5 minutes."""

    def history(*minutes_likes):
        return [MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c) for m, c in minutes_likes]

    stalled = history((60, 280), (120, 300), (180, 300))
    assert score_virality(stalled, T0, followers=2000).score == 59.3
    extra = [*stalled, MetricSnapshot(at=T0 + timedelta(minutes=180, seconds=3), likes=301)]
    v = score_virality(extra, T0, followers=2000)
    # one like over the hour since the snapshot at 2 hours, then 20 an hour the hour before: slowing down
    assert v.velocity_per_hour == pytest.approx(1 / (1 + 3 / 3600), abs=1e-3)
    assert v.acceleration_per_hour2 < 0
    assert v.score < 60


def test_a_real_fast_spread_over_ten_minute_snapshots_still_scores_high():
    counts = [(10, 40), (20, 120), (30, 260), (40, 480)]
    snaps = [MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c) for m, c in counts]
    v = score_virality(snaps, T0, followers=2000)
    assert v.velocity_per_hour == pytest.approx(220 * 6)  # 220 in the last 10 minutes
    assert v.acceleration_per_hour2 == pytest.approx((1320 - 840) * 6)  # midpoints 10 minutes apart
    assert v.score > 60
    # a snapshot 3 seconds after the last: the rate is read from the snapshot at 30 minutes
    extra = MetricSnapshot(at=T0 + timedelta(minutes=40, seconds=3), likes=482)
    late = score_virality([*snaps, extra], T0, followers=2000)
    assert late.velocity_per_hour == pytest.approx(222 / (10 / 60 + 3 / 3600), abs=1e-3)
    assert late.score > 60


def test_a_post_seen_minutes_after_creation_reads_its_rate_from_creation():
    """Under 5 minutes old there is no earlier observation 5 minutes back: the creation is used, and
    with a single interval there is no acceleration."""
    v = score_virality([MetricSnapshot(at=T0 + timedelta(minutes=2), likes=6)], T0, followers=2000)
    assert (v.velocity_per_hour, v.acceleration_per_hour2) == (180.0, 0.0)
    two = [MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c) for m, c in [(2, 6), (4, 20)]]
    v = score_virality(two, T0, followers=2000)
    assert (v.velocity_per_hour, v.acceleration_per_hour2) == (300.0, 0.0)


def test_a_post_seen_seconds_after_creation_is_forecast_as_one_of_ten_minutes():
    """The forecast's constants were fitted on posts 10 minutes old and older. A post seen 1 second or
    1 ms after its (possibly skewed) creation time reached its counts in at most 10 minutes: it is
    forecast as a post of 10 minutes with the same counts (at its true age, 1,320 and 1.3 million)."""

    def three_likes(age, sharers):
        return score_virality([MetricSnapshot(at=T0 + age, likes=3)], T0, 2000, sharer_followers=sharers)

    for sharers in (None, [5_000_000, 40, 300]):
        ten = three_likes(timedelta(minutes=10), sharers)
        assert ten.forecast_24h < 20
        for young in (timedelta(seconds=1), timedelta(milliseconds=1)):
            v = three_likes(young, sharers)
            assert (v.forecast_24h, v.forecast_low, v.forecast_high) == (
                ten.forecast_24h,
                ten.forecast_low,
                ten.forecast_high,
            )
            assert v.score == ten.score < 60
    assert forecast([1 / 3600], [3.0]) == forecast([1 / 6], [3.0])
    # the earlier history of a young post does not matter either: all it saw came within 10 minutes
    assert forecast([1 / 7200, 1 / 3600], [1.0, 3.0]) == forecast([1 / 6], [3.0])


def test_no_engagement_scores_zero():
    v = score_virality([], T0, followers=None, now=T0 + timedelta(hours=2))
    assert (v.score, v.forecast_24h, v.velocity_per_hour, v.age_hours) == (0.0, 0.0, 0.0, 2.0)


def test_score_orders_posts_sensibly():
    quiet = score_virality(cascade(15, 0.5, [1, 2]), T0, followers=300)
    viral = score_virality(cascade(5000, 0.5, [1, 2, 3]), T0, followers=2000)
    assert quiet.score < 40 < 70 < viral.score
    # the same numbers mean more from a small account than from a celebrity
    assert virality_score(2000, 5000, 100, 0) > virality_score(2000, 2_000_000, 100, 0)
    # speeding up scores higher than slowing down
    assert virality_score(500, 1000, 50, 30) > virality_score(500, 1000, 50, -30)
    assert 0 <= virality_score(10**9, 1, 10**6, 10**6) <= 100


def test_views_beyond_the_authors_audience_raise_the_score():
    """Views, where X counts them, are the audience actually reached: a post seen by twenty times its
    author's followers scores higher than the same counters seen by its followers only; without views, or
    with fewer views than ten per forecast engagement, the score is what the engagement says."""
    assert virality_score(300, 2000, 20, 0, views=40_000) > virality_score(300, 2000, 20, 0, views=2000)
    assert virality_score(300, 2000, 20, 0, views=None) == virality_score(300, 2000, 20, 0, views=1500)
    seen = [
        MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c, views=v)
        for m, c, v in [(30, 40, 900), (60, 80, 60_000)]
    ]
    unseen = [MetricSnapshot(at=s.at, likes=s.likes) for s in seen]
    assert score_virality(seen, T0, followers=2000).score > score_virality(unseen, T0, followers=2000).score
    # a small post seen by a few hundred stays far from the crisis rule's 60
    small = [
        MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c, views=v)
        for m, c, v in [(30, 2, 300), (60, 3, 500)]
    ]
    assert score_virality(small, T0, followers=100).score < 40


# -- small and slow posts: most business posts have tens of interactions, not thousands ----------------


def test_a_post_with_three_likes_after_an_hour_is_not_forecast_to_explode():
    snaps = [MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c) for m, c in [(10, 1), (30, 2), (60, 3)]]
    v = score_virality(snaps, T0, followers=800)
    assert 3 <= v.forecast_low <= v.forecast_24h <= 10 and v.forecast_high <= 100
    assert v.score < 40  # far from the crisis rule's 60


def test_a_stalled_post_stays_where_it_is():
    snaps = [MetricSnapshot(at=T0 + timedelta(hours=h), likes=c) for h, c in [(1, 40), (2, 40), (3, 40)]]
    v = score_virality(snaps, T0, followers=800)
    assert v.forecast_24h == 40 and v.forecast_low == 40 and v.forecast_high < 70


@pytest.mark.parametrize(("total", "onset", "lowest"), [(12, 0.5, 0.5), (30, 1.0, 0.5), (60, 3.0, 0.4)])
def test_small_and_slow_posts_have_an_honest_band(total, onset, lowest):
    """Small posts on synthetic cascades with a known answer: over many draws of the same post the band
    holds the 24-hour count at least 80 % of the time, and the median forecast is near the truth. A slow
    burn (attention that only starts to fall after 3 hours) is underestimated after one hour: the forecast
    assumes the decay real cascades show, and the band says how unsure it is."""
    hours = [i / 6 for i in range(1, 7)]  # an hour of snapshots every 10 minutes
    hits, mids, truths = 0, [], []
    for seed in range(300):
        snaps = cascade(total, onset, hours, seed=seed)
        later = cascade(total, onset, [*hours, 24.0], seed=seed)  # the same draw, followed to 24 hours
        truth = later[-1].likes
        mid, low, high = forecast(hours, [s.engagement for s in snaps])
        hits += low <= truth <= high
        mids.append(mid)
        truths.append(truth)
    assert hits / 300 >= 0.8
    assert lowest <= np.median(mids) / np.median(truths) <= 1.5


def test_the_band_widens_when_data_is_thin():
    """The same shape of growth, a hundred times smaller: relatively, the band is much wider."""
    hours = [0.5, 1.0]
    _, low_big, high_big = forecast(hours, [1000, 1400])
    _, low_small, high_small = forecast(hours, [10, 14])
    assert high_small / max(low_small, 1) > 1.3 * (high_big / low_big)


# -- real cascades: the evaluation anyone can rerun ---------------------------------------------------


def write_cascade(folder, name: str, times_s: list[float], followers: int = 100) -> None:
    lines = [f"{len(times_s)} 0.5", f"0 {followers}"] + [f"{t:g} 50" for t in times_s]
    (folder / f"{name}.txt").write_text("\n".join(lines) + "\n")


def test_evaluate_virality_prints_each_forecaster_at_each_observation_time(tmp_path, capsys):
    from monitor.cli import main

    rng = np.random.default_rng(3)
    for n in (1, 2, 36, 37):  # two in the fit part, two held aside
        times = np.sort(3600 * 0.05 * (np.exp(rng.uniform(0, np.log(24 / 0.05 + 1), 400)) - 1))
        write_cascade(tmp_path, f"RT{n}", list(times))
    assert main(["evaluate-virality", "--cascades", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (
        "Held aside (never fitted or tuned on): 2 cascades" in out
        and "Fit part (RT1-RT35): 2 cascades" in out
    )
    for hours in ("30 min", "1 h", "3 h", "6 h"):
        for name in ("repmon", "no more growth", "seen x constant"):
            assert f"| {hours} | {name} | 2 |" in out


def test_evaluate_virality_names_a_bad_line(tmp_path, capsys):
    from monitor.cli import main

    (tmp_path / "RT1.txt").write_text("3 0.5\n0 100\n12 40\nsoon 7\n")
    assert main(["evaluate-virality", "--cascades", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'RT1.txt'}:4: expected 'seconds_since_post followers', got 'soon 7'" in err


CASCADES = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "virality-cascades"


@pytest.mark.skipif(not CASCADES.is_dir(), reason="the shared cascades are not here")
def test_on_the_held_aside_real_cascades_the_forecast_beats_both_references():
    """RT36-RT50 were never fitted or tuned on. Floors at what was measured (README), so a change that
    makes the forecast worse on real cascades fails here."""
    from classifiers.cascades import evaluate, growth_constants, read_cascades

    cascades = read_cascades(CASCADES)
    fit = [c for c in cascades if not c.held_aside]
    rows = evaluate([c for c in cascades if c.held_aside], growth_constants(fit))
    ours = {r.observed_hours: r for r in rows if r.forecaster == "repmon"}
    still = {r.observed_hours: r for r in rows if r.forecaster == "no more growth"}
    assert ours[1.0].median_abs_error <= 0.20  # issue 14's goal at one hour (18.8 % measured)
    for hours, row in ours.items():
        assert row.median_abs_error < still[hours].median_abs_error
        assert 0.7 <= row.band_coverage <= 0.9  # 87, 80, 80 and 87 % measured: 13 or 12 of 15


@pytest.mark.skipif(not CASCADES.is_dir(), reason="the shared cascades are not here")
def test_the_committed_band_is_what_the_fit_part_gives(capsys):
    from monitor.cli import main

    assert main(["evaluate-virality", "--cascades", str(CASCADES), "--fit"]) == 0
    out = capsys.readouterr().out
    assert "the same as classifiers/virality.py" in out
    assert "each cascade left out of its own fit: 30 min " in out


@pytest.mark.skipif(not CASCADES.is_dir(), reason="the shared cascades are not here")
def test_the_band_is_calibrated_on_the_fit_part_leaving_each_cascade_out():
    """Reach constants and band fitted without the cascade they are judged on, the band holds the real
    count between 70 and 90 % of the time at every observation time (issue 14's range; measured 74, 74, 77
    and 83 %, 26 to 29 of 35)."""
    from classifiers.cascades import loco_band_coverage, read_cascades

    fit = [c for c in read_cascades(CASCADES) if not c.held_aside]
    coverage = loco_band_coverage(fit)
    assert set(coverage) == {0.5, 1.0, 3.0, 6.0}
    for value in coverage.values():
        assert 0.7 <= value <= 0.9


def test_leaving_one_cascade_out_fits_without_it(tmp_path):
    from classifiers.cascades import band_rows, fit_band, fit_band_rows, loco_band_coverage, read_cascades

    rng = np.random.default_rng(5)
    for n in range(1, 7):
        times = np.sort(3600 * 0.05 * (np.exp(rng.uniform(0, np.log(24 / 0.05 + 1), 300 * n)) - 1))
        write_cascade(tmp_path, f"RT{n}", list(times))
    cascades = read_cascades(tmp_path)
    rows = band_rows(cascades)
    assert len(rows) == 6 * 36 and fit_band(cascades) == fit_band_rows(rows)
    coverage = loco_band_coverage(cascades)
    assert list(coverage) == [0.5, 1.0, 3.0, 6.0]
    assert all(0.0 <= v <= 1.0 and v * 6 == pytest.approx(round(v * 6)) for v in coverage.values())


def test_a_famous_account_does_not_make_three_likes_explode():
    """The forecast reads the post's own history: an author with a million followers does not turn 3 likes
    after an hour into a crisis."""
    snaps = [MetricSnapshot(at=T0 + timedelta(minutes=m), likes=c) for m, c in [(10, 1), (30, 2), (60, 3)]]
    small = score_virality(snaps, T0, followers=800)
    famous = score_virality(snaps, T0, followers=1_000_000)
    assert (famous.forecast_24h, famous.forecast_low, famous.forecast_high) == (
        small.forecast_24h,
        small.forecast_low,
        small.forecast_high,
    )
    assert famous.forecast_high <= 100 and famous.score < 40


# -- the sharers' reach (X gives the follower counts of retweeters; Facebook does not) -------------------


def growing(minutes_counts: list[tuple[int, int]]) -> list[MetricSnapshot]:
    return [MetricSnapshot(at=T0 + timedelta(minutes=m), shares=c) for m, c in minutes_counts]


GROWING = growing([(10, 40), (20, 70), (30, 90), (40, 105), (50, 118), (60, 128)])


def test_without_sharers_followers_the_forecast_reads_the_history_alone():
    """Facebook gives no sharers' follower counts, and X may not give one: the forecast is then the power
    law on the post's own history, as before the reach was added."""
    from classifiers.virality import forecast

    plain = score_virality(GROWING, T0, followers=5000)
    hours = [0.0] + [m / 60 for m in (10, 20, 30, 40, 50, 60)]
    assert (plain.forecast_24h, plain.forecast_low, plain.forecast_high) == tuple(
        round(x, 1) for x in forecast(hours, [0.0] + [2.0 * s.shares for s in GROWING])
    )
    for unknown in ([], [None, None, None]):
        v = score_virality(GROWING, T0, followers=5000, sharer_followers=unknown)
        assert (v.forecast_24h, v.forecast_low, v.forecast_high) == (
            plain.forecast_24h,
            plain.forecast_low,
            plain.forecast_high,
        )


def test_sharers_with_large_audiences_raise_the_early_forecast_and_small_ones_lower_it():
    """Shares from accounts that reach many people keep a post spreading (on the fit part, cascades shared
    by accounts with a median of about 100 followers burned out sooner than the power law said)."""
    plain = score_virality(GROWING, T0, followers=5000).forecast_24h
    wide = score_virality(GROWING, T0, followers=5000, sharer_followers=[3000] * 128).forecast_24h
    narrow = score_virality(GROWING, T0, followers=5000, sharer_followers=[15] * 128).forecast_24h
    assert narrow < plain < wide
    # the correction fades with age: after 6 hours the post's own rate says it all
    late = growing([(60 * h, 128 + 10 * h) for h in range(1, 7)])
    assert score_virality(late, T0, 5000, sharer_followers=[3000] * 188).forecast_24h == pytest.approx(
        score_virality(late, T0, 5000).forecast_24h, rel=0.02
    )


def test_one_famous_sharer_cannot_make_a_small_post_explode():
    """A post with 3 shares after an hour, one of them by an account with ten million followers: the
    median over so few sharers is shrunk toward the typical one, and the factor is bounded (at most 4)."""
    from classifiers.virality import REACH_MAX_FACTOR, forecast_parts, reach_adjustment, sharer_reach

    small = growing([(20, 1), (40, 2), (60, 3)])
    plain = score_virality(small, T0, followers=800)
    famous = score_virality(small, T0, followers=800, sharer_followers=[10_000_000, 120, 90])
    assert famous.forecast_24h <= 3 * plain.forecast_24h and famous.forecast_high <= 200
    assert famous.score < 60  # not a crisis
    assert sharer_reach([10_000_000, None, 90]) == (2, pytest.approx((7.0 + 1.9590) / 2, abs=1e-3))
    # counts that are not counts are skipped, not a crash
    assert sharer_reach([None, float("nan"), float("inf"), "many", -5, 9]) == (2, pytest.approx(0.5))
    # whatever the audience, the future is multiplied or divided by at most REACH_MAX_FACTOR
    hours, eng = [0.0, 0.5, 1.0], [0.0, 100.0, 160.0]
    base = forecast_parts(hours, eng).future
    for followers in (0, 10**9):
        reach = reach_adjustment(0.5, 10_000, np.log10(1 + followers))
        assert base / REACH_MAX_FACTOR - 1e-9 <= forecast_parts(hours, eng, reach=reach).future
        assert forecast_parts(hours, eng, reach=reach).future <= base * REACH_MAX_FACTOR + 1e-9


def test_the_band_is_the_point_forecast_with_its_offsets():
    from classifiers.virality import band_around, band_offsets, forecast_parts

    hours, eng = [0.5, 1.0, 1.5], [120.0, 200.0, 240.0]
    parts = forecast_parts(hours, eng)
    assert parts.seen == 240.0 and parts.age == 1.5 and parts.future > 0
    low, high = band_around(parts, *band_offsets(1.5))
    assert forecast(hours, eng) == (240.0 + parts.future, low, high)
    # no offsets: only the Poisson count's width is left, and it is narrower
    low0, high0 = band_around(parts, 0.0, 0.0)
    assert low < low0 <= 240.0 + parts.future <= high0 < high
