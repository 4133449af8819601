//! SVG charts for the report, drawn with plotters' SVG backend (no C libraries): the series
//! around the claimed year with the claimed value marked — a point, a band for hedged
//! numbers, a threshold line for comparisons — or the leaders' bars for rank claims.

use plotters::prelude::*;

use crate::claim::{Claim, ClaimSpec, Kind, Relation};
use crate::verify::Verdict;

/// Colour of the data line (blue; the claim is orange: a pair colour-blind readers tell apart).
const DATA: RGBColor = RGBColor(0, 90, 181);
/// Colour of what the claim says.
const CLAIMED: RGBColor = RGBColor(220, 50, 32);
const BAND: RGBColor = RGBColor(255, 194, 10);
const GREY: RGBColor = RGBColor(120, 120, 120);

/// The chart for a claim, or `None` when there is nothing to draw.
pub fn claim_chart(claim: &Claim, verdict: &Verdict, series: &[(i32, f64)]) -> Option<String> {
    let claim = &claim.spec();
    if claim.kind == Kind::Rank {
        return rank_chart(claim, verdict);
    }
    if series.is_empty() {
        return None;
    }
    line_chart(claim, verdict, series).ok()
}

fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.05).max(1e-9);
    (
        (lo - pad).min(if lo >= 0.0 { 0.0 } else { lo - pad }),
        hi + pad,
    )
}

/// Numbers for axis labels: 1.2M, 35k, 107.6.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}bn", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

type Plot<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn line_chart(
    claim: &ClaimSpec,
    verdict: &Verdict,
    series: &[(i32, f64)],
) -> Result<String, Box<dyn std::error::Error>> {
    let ev = &verdict.evidence;
    let claimed = ev.claimed.or(claim.value);
    let band = ev.band;
    let mut ys: Vec<f64> = series.iter().map(|(_, v)| *v).collect();
    ys.extend(claimed);
    if let Some((lo, hi)) = band {
        ys.extend(lo.into_iter().chain(hi));
    }
    let (y0, y1) = y_range(ys.into_iter());
    let x0 = series.first().map_or(2000, |s| s.0) as f64 - 0.5;
    let x1 = series.last().map_or(2020, |s| s.0) as f64 + 0.5;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 400)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .caption(chart_title(claim, verdict), ("sans-serif", 18))
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| format!("{:.0}", x))
            .y_label_formatter(&|y| short_number(*y))
            .x_labels(series.len().min(12))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        draw_claim_marks(&mut chart, claim, claimed, band, (x0, x1))?;
        if let (Some(actual), Some(year)) = (ev.actual, claim.year) {
            chart.draw_series(std::iter::once(Text::new(
                format!("data {}", short_number(actual)),
                (year as f64 + 0.15, actual + (y1 - y0) * 0.04),
                ("sans-serif", 14).into_font().color(&DATA),
            )))?;
        }
        let points: Vec<(f64, f64)> = series.iter().map(|(y, v)| (*y as f64, *v)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), DATA.stroke_width(3)))?
            .label("data")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], DATA.stroke_width(3)));
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, DATA.filled())))?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(GREY)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

fn draw_claim_marks(
    chart: &mut Plot<'_, '_>,
    claim: &ClaimSpec,
    claimed: Option<f64>,
    band: Option<(Option<f64>, Option<f64>)>,
    (x0, x1): (f64, f64),
) -> Result<(), Box<dyn std::error::Error>> {
    let Some(value) = claimed else {
        return Ok(());
    };
    let (_, (y0, y1)) = (
        chart.x_range(),
        (chart.y_range().start, chart.y_range().end),
    );
    let comparison = matches!(
        claim.relation,
        Relation::Gt | Relation::Gte | Relation::Lt | Relation::Lte | Relation::Between
    );
    let hedged = matches!(claim.relation, Relation::Approx | Relation::Nearly);
    if let (true, Some((lo, hi))) = (hedged || comparison, band) {
        let (lo, hi) = (lo.unwrap_or(y0), hi.unwrap_or(y1));
        let label = if comparison {
            "claimed range"
        } else {
            "claimed band"
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, lo), (x1, hi)],
                BAND.mix(0.25).filled(),
            )))?
            .label(label)
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BAND.mix(0.5).filled()));
    }
    if comparison {
        chart
            .draw_series(LineSeries::new(
                [(x0, value), (x1, value)],
                CLAIMED.stroke_width(2),
            ))?
            .label(format!("threshold {}", short_number(value)))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], CLAIMED.stroke_width(2)));
        return Ok(());
    }
    let year = claim.year.map_or(x1 - 0.5, f64::from);
    chart
        .draw_series(std::iter::once(Cross::new(
            (year, value),
            9,
            CLAIMED.stroke_width(3),
        )))?
        .label(format!("claimed {}", short_number(value)))
        .legend(|(x, y)| Cross::new((x + 8, y), 6, CLAIMED.stroke_width(3)));
    chart.draw_series(std::iter::once(Text::new(
        format!("claimed {}", short_number(value)),
        (year + 0.15, value - (y1 - y0) * 0.02),
        ("sans-serif", 14).into_font().color(&CLAIMED),
    )))?;
    Ok(())
}

fn chart_title(claim: &ClaimSpec, verdict: &Verdict) -> String {
    let ev = &verdict.evidence;
    let country = ev
        .country_name
        .clone()
        .or_else(|| claim.country.clone())
        .unwrap_or_default();
    let name = ev
        .indicator_name
        .clone()
        .or_else(|| claim.indicator.clone())
        .unwrap_or_default();
    let title = format!("{country}: {name}");
    if title.chars().count() > 70 {
        title.chars().take(68).collect::<String>() + "…"
    } else {
        title
    }
}

fn rank_chart(claim: &ClaimSpec, verdict: &Verdict) -> Option<String> {
    let rank = verdict.evidence.rank.as_ref()?;
    if rank.leaders.is_empty() {
        return None;
    }
    bars(claim, verdict, &rank.leaders).ok()
}

fn bars(
    claim: &ClaimSpec,
    verdict: &Verdict,
    leaders: &[crate::verify::RankEntry],
) -> Result<String, Box<dyn std::error::Error>> {
    let n = leaders.len();
    let top = leaders.iter().map(|l| l.value).fold(0.0_f64, f64::max) * 1.15;
    let names: Vec<String> = leaders.iter().map(|l| short_name(&l.name)).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 400)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .caption(
                format!(
                    "Leaders in {}",
                    claim
                        .year
                        .map_or("the latest year".into(), |y| y.to_string())
                ),
                ("sans-serif", 18),
            )
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..top.max(1e-9))?;
        chart
            .configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 0.01 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| short_number(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let subject = verdict.evidence.country.clone().or(claim.country.clone());
        chart.draw_series(leaders.iter().enumerate().map(|(i, l)| {
            let colour = if Some(&l.iso3) == subject.as_ref() {
                CLAIMED
            } else {
                DATA
            };
            Rectangle::new(
                [(i as f64 - 0.35, 0.0), (i as f64 + 0.35, l.value)],
                colour.filled(),
            )
        }))?;
        chart.draw_series(leaders.iter().enumerate().map(|(i, l)| {
            Text::new(
                short_number(l.value),
                (i as f64 - 0.2, l.value + top * 0.06),
                ("sans-serif", 14),
            )
        }))?;
        root.present()?;
    }
    Ok(svg)
}

fn short_name(name: &str) -> String {
    let first = name.split(',').next().unwrap_or(name);
    if first.chars().count() > 14 {
        first.chars().take(13).collect::<String>() + "…"
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Evidence, Grade};

    fn verdict(claimed: f64, band: Option<(Option<f64>, Option<f64>)>) -> Verdict {
        Verdict {
            grade: Grade::MostlyTrue,
            explanation: String::new(),
            evidence: Evidence {
                claimed: Some(claimed),
                band,
                country_name: Some("El Salvador".into()),
                ..Evidence::default()
            },
        }
    }

    fn spec() -> ClaimSpec {
        let mut claim = ClaimSpec::new("x", "x");
        claim.indicator = Some("VC.IHR.PSRC.P5".into());
        claim.country = Some("SLV".into());
        claim
    }

    fn typed(spec: ClaimSpec) -> Claim {
        spec.validate(crate::claim::country::Countries::shared())
            .unwrap()
    }

    #[test]
    fn value_chart_marks_the_claim() {
        let mut claim = spec();
        claim.year = Some(2015);
        claim.value = Some(105.0);
        let claim = typed(claim);
        let series = [(2013, 41.2), (2014, 62.4), (2015, 107.6), (2016, 85.1)];
        let svg = claim_chart(&claim, &verdict(105.0, None), &series).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("claimed 105"), "{svg}");
        assert!(svg.contains("2015"));
    }

    #[test]
    fn comparison_chart_has_a_threshold() {
        let mut claim = spec();
        claim.relation = Relation::Gt;
        claim.value = Some(50.0);
        let claim = typed(claim);
        let v = verdict(50.0, Some((Some(50.0), None)));
        let svg = claim_chart(&claim, &v, &[(2015, 60.0), (2016, 55.0)]).unwrap();
        assert!(svg.contains("threshold 50"), "{svg}");
        assert!(svg.contains("claimed range"));
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(6_300_000.0), "6.3M");
        assert_eq!(short_number(107.64), "107.6");
        assert_eq!(short_number(40_400.0), "40k");
    }
}
