//! Trend math: tonight's figure against the median of the same scenario's earlier nights, and
//! whether the difference is a regression the drill file gates on.
//!
//! Neighbours: [`super::figures`] says which way each figure is worse; the harness gathers the
//! earlier nights' values from their drill.json ([`super::nights`]) and calls [`judge`];
//! [`super::record`] keeps the [`Trend`] of every figure.
//!
//! Design: the baseline is the median of the last `window` nights that measured the figure, so
//! one odd night neither raises an alarm alone nor moves the baseline much. A figure gates only
//! once it has `min_nights` earlier values; before that its trend is shown, never failed. The
//! threshold is relative (0.5: half again as slow, or half as available).

use super::figures::Figure;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[trends]` table of a drill file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendRules {
    /// Earlier nights a figure needs before it gates.
    pub min_nights: usize,
    /// How many of the latest earlier nights the baseline is the median of.
    pub window: usize,
    /// The relative change that is a regression, per figure; a figure without one never gates.
    pub thresholds: BTreeMap<Figure, f64>,
}

impl Default for TrendRules {
    fn default() -> TrendRules {
        TrendRules { min_nights: 3, window: 7, thresholds: BTreeMap::new() }
    }
}

/// One earlier night's value of a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The night's folder stamp.
    pub night: String,
    /// The figure that night.
    pub value: f64,
}

/// What the trend of one figure says tonight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrendState {
    /// Worse than the baseline by more than the threshold: fails the drill.
    Regressed,
    /// Within the threshold.
    Within,
    /// Fewer earlier nights than `min_nights`: shown, not gated.
    TooFewNights,
    /// The file sets no threshold for this figure: shown, not gated.
    NoThreshold,
    /// Tonight did not measure it.
    NotMeasured,
}

/// One figure of one scenario, tonight beside its earlier nights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The figure.
    pub figure: Figure,
    /// Its value tonight.
    pub tonight: Option<f64>,
    /// The earlier nights the baseline is over, oldest first (at most `window`).
    pub previous: Vec<Point>,
    /// The median of `previous`.
    pub baseline: Option<f64>,
    /// The value past which tonight is a regression.
    pub limit: Option<f64>,
    /// The verdict.
    pub state: TrendState,
}

impl TrendState {
    /// For a person: `REGRESSED`, `too few nights to gate`, ….
    pub fn text(self) -> &'static str {
        match self {
            TrendState::Regressed => "REGRESSED",
            TrendState::Within => "within the threshold",
            TrendState::TooFewNights => "too few earlier nights to gate",
            TrendState::NoThreshold => "no threshold set",
            TrendState::NotMeasured => "not measured tonight",
        }
    }
}

impl Trend {
    /// One line for a person: `failover_p99_ms 900 ms is over 600 ms (+50 % over the median
    /// 400 ms of 3 nights, 20261201T…–20261203T…)`.
    pub fn sentence(&self) -> String {
        let f = self.figure;
        let (Some(t), Some(b), Some(l)) = (self.tonight, self.baseline, self.limit) else {
            let n = self.previous.len();
            return format!("{}: {} ({n} earlier nights)", f.name(), self.state.text());
        };
        let (first, last) = match (self.previous.first(), self.previous.last()) {
            (Some(a), Some(z)) => (a.night.as_str(), z.night.as_str()),
            _ => ("", ""),
        };
        let side = if f.higher_is_worse() { "over" } else { "under" };
        format!(
            "{} {} is {side} {} (median {} of the {} nights {first} to {last})",
            f.name(),
            f.show(t),
            f.show(l),
            f.show(b),
            self.previous.len()
        )
    }
}

/// The trend of `figure`: tonight's value against `earlier` (every earlier night that measured
/// it, oldest first).
pub fn judge(figure: Figure, tonight: Option<f64>, earlier: &[Point], rules: &TrendRules) -> Trend {
    let skip = earlier.len().saturating_sub(rules.window);
    let previous = earlier[skip..].to_vec();
    let values: Vec<f64> = previous.iter().map(|p| p.value).collect();
    let baseline = median(&values);
    let threshold = rules.thresholds.get(&figure).copied();
    let limit = baseline.zip(threshold).map(|(b, t)| match figure.higher_is_worse() {
        true => b * (1.0 + t),
        false => b * (1.0 - t),
    });
    let state = match (tonight, limit) {
        (None, _) => TrendState::NotMeasured,
        (Some(_), None) if threshold.is_none() => TrendState::NoThreshold,
        _ if previous.len() < rules.min_nights => TrendState::TooFewNights,
        (Some(v), Some(l)) if worse(figure, v, l) => TrendState::Regressed,
        _ => TrendState::Within,
    };
    Trend { figure, tonight, previous, baseline, limit, state }
}

fn worse(figure: Figure, value: f64, limit: f64) -> bool {
    match figure.higher_is_worse() {
        true => value > limit,
        false => value < limit,
    }
}

/// The median (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nights(values: &[f64]) -> Vec<Point> {
        let point = |(i, v): (usize, &f64)| Point { night: format!("night{i}"), value: *v };
        values.iter().enumerate().map(point).collect()
    }

    fn rules(threshold: f64) -> TrendRules {
        let thresholds = Figure::ALL.into_iter().map(|f| (f, threshold)).collect();
        TrendRules { min_nights: 3, window: 7, thresholds }
    }

    #[test]
    fn the_median_takes_the_middle_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_p99_half_again_over_the_median_of_the_window_regresses() {
        let earlier = nights(&[400.0, 380.0, 420.0]);
        let t = judge(Figure::FailoverP99Ms, Some(601.0), &earlier, &rules(0.5));
        assert_eq!(
            (t.state, t.baseline, t.limit),
            (TrendState::Regressed, Some(400.0), Some(600.0))
        );
        assert!(t.sentence().contains("night0 to night2"), "{}", t.sentence());
        let t = judge(Figure::FailoverP99Ms, Some(600.0), &earlier, &rules(0.5));
        assert_eq!(t.state, TrendState::Within);
    }

    #[test]
    fn availability_regresses_downwards() {
        let earlier = nights(&[1.0, 1.0, 1.0]);
        let t = judge(Figure::Availability, Some(0.89), &earlier, &rules(0.1));
        assert_eq!(t.state, TrendState::Regressed);
        let t = judge(Figure::Availability, Some(0.95), &earlier, &rules(0.1));
        assert_eq!(t.state, TrendState::Within);
    }

    #[test]
    fn a_figure_gates_only_after_min_nights_and_only_with_a_threshold() {
        let two = nights(&[100.0, 100.0]);
        let t = judge(Figure::LeaderlessMs, Some(1e6), &two, &rules(0.5));
        assert_eq!(t.state, TrendState::TooFewNights);
        let three = nights(&[100.0, 100.0, 100.0]);
        let t = judge(Figure::LeaderlessMs, Some(1e6), &three, &TrendRules::default());
        assert_eq!(t.state, TrendState::NoThreshold);
        let t = judge(Figure::LeaderlessMs, None, &three, &rules(0.5));
        assert_eq!(t.state, TrendState::NotMeasured);
    }

    #[test]
    fn the_baseline_is_over_the_last_window_nights_only() {
        let earlier = nights(&[9000.0, 9000.0, 9000.0, 100.0, 100.0, 100.0]);
        let r = TrendRules { window: 3, ..rules(0.5) };
        let t = judge(Figure::FailoverP50Ms, Some(200.0), &earlier, &r);
        assert_eq!(
            (t.baseline, t.previous.len(), t.state),
            (Some(100.0), 3, TrendState::Regressed)
        );
        assert_eq!(t.previous[0].night, "night3");
    }
}
