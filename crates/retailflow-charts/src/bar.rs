//! Bar charts rendered to standalone SVG documents.
//!
//! Layout never measures glyphs: text is assumed to be `0.6 × font-size` wide per character, and
//! all text uses the generic `sans-serif` family, so a chart reads the same with any fonts
//! installed (or none). Labels that would not fit are shortened with `…`; the full text stays
//! available as a tooltip and in the chart's `<desc>`.

use std::fmt::Write as _;

use crate::escape::escape;
use crate::format::{coord, format_number};
use crate::scale::{Ticks, nice_ticks};

/// A bar chart of one or more series over the same categories.
///
/// One series draws simple bars; several draw grouped bars (one bar per series within each
/// category) and a legend.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    pub title: String,
    /// What the values measure, e.g. `"units"` or `"average spend"`; shown along the value axis.
    /// May be empty.
    pub value_label: String,
    pub categories: Vec<String>,
    /// At most four series get distinct colours; further ones reuse the palette.
    pub series: Vec<Series>,
    pub orientation: Orientation,
    /// How bar values are printed. Axis ticks use the digits their step needs.
    pub value_format: ValueFormat,
}

/// One row of values, aligned with [`BarChart::categories`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Shown in the legend when the chart has several series.
    pub name: String,
    /// `values[i]` belongs to `categories[i]`. `None`, NaN and infinities are drawn as no bar and
    /// labelled "n/a"; missing trailing values count as `None` and extra ones are ignored.
    pub values: Vec<Option<f64>>,
}

/// Which way the bars grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// Bars grow upwards from a horizontal category axis. The chart is always 640×360; long
    /// category labels are rotated by 45°.
    #[default]
    Vertical,
    /// Bars grow rightwards from category labels on the left. The chart is 640 wide and as tall as
    /// its categories need, which suits long labels and many categories.
    Horizontal,
}

/// How bar values are printed; both use `,` to group thousands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueFormat {
    /// Rounded to whole numbers, e.g. `21,000`; axis ticks are whole numbers too.
    #[default]
    Integer,
    /// Exactly this many fraction digits, e.g. `Decimal(1)` prints `130.2`.
    Decimal(u8),
}

/// Fill colours of the series, in order: blue, vermilion, bluish green and reddish purple from the
/// Okabe–Ito colour-blind-safe set, each with at least 3:1 contrast against white.
pub(crate) const PALETTE: [&str; 4] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"];

const WIDTH: f64 = 640.0;
const VERTICAL_HEIGHT: f64 = 360.0;
const HORIZONTAL_EMPTY_HEIGHT: f64 = 160.0;
const PAD: f64 = 16.0;
const TITLE_SIZE: f64 = 16.0;
const LEGEND_SIZE: f64 = 12.0;
const LABEL_SIZE: f64 = 11.0;
const CHAR_WIDTH: f64 = 0.6;
/// Longest category label in characters before it is shortened, when rotated.
const ROTATED_LABEL_CHARS: usize = 20;

const TEXT: &str = "#1f2328";
const MUTED: &str = "#59636e";
const NA: &str = "#6e7781";
const GRID: &str = "#e1e4e8";
const AXIS: &str = "#8c959f";

fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH * size
}

/// Shortens `text` with a trailing `…` so that it is at most `max_width` wide; returns whether it
/// had to.
fn fit(text: &str, max_width: f64, size: f64) -> (String, bool) {
    let max_chars = ((max_width / (CHAR_WIDTH * size) + 1e-9).floor() as usize).max(2);
    if text.chars().count() <= max_chars {
        (text.to_string(), false)
    } else {
        let mut short: String = text.chars().take(max_chars - 1).collect();
        short.truncate(short.trim_end().len());
        short.push('…');
        (short, true)
    }
}

/// Writes a `<text>` element; `extra` holds further attributes (already escaped). A shortened
/// label carries its full text as a `<title>` tooltip.
fn text(out: &mut String, x: f64, y: f64, extra: &str, shown: &str, full: Option<&str>) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}"{extra}>{}"#,
        coord(x),
        coord(y),
        escape(shown)
    );
    if let Some(full) = full {
        let _ = write!(out, "<title>{}</title>", escape(full));
    }
    out.push_str("</text>\n");
}

fn line(out: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
    let _ = writeln!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="1"/>"#,
        coord(x1),
        coord(y1),
        coord(x2),
        coord(y2)
    );
}

/// A bar's value and its printed label; `None` is drawn as "n/a" without a bar.
struct Cell {
    value: Option<f64>,
    label: String,
}

impl Cell {
    fn width(&self) -> f64 {
        text_width(&self.label, LABEL_SIZE)
    }
}

/// Everything both orientations share: cleaned values, ticks and the header (title and legend).
struct Frame<'a> {
    chart: &'a BarChart,
    /// `cells[series][category]`.
    cells: Vec<Vec<Cell>>,
    ticks: Ticks,
    tick_labels: Vec<String>,
    has_negative: bool,
    /// Legend rows: (x, y of row top, series index) per item.
    legend: Vec<(f64, f64, usize)>,
    header_height: f64,
}

impl<'a> Frame<'a> {
    fn new(chart: &'a BarChart) -> Option<Self> {
        let decimals = match chart.value_format {
            ValueFormat::Integer => 0,
            ValueFormat::Decimal(digits) => usize::from(digits),
        };
        let cells: Vec<Vec<Cell>> = chart
            .series
            .iter()
            .map(|series| {
                (0..chart.categories.len())
                    .map(|i| {
                        let value = series
                            .values
                            .get(i)
                            .copied()
                            .flatten()
                            .filter(|v| v.is_finite());
                        let label = match value {
                            Some(v) => format_number(v, decimals),
                            None => "n/a".to_string(),
                        };
                        Cell { value, label }
                    })
                    .collect()
            })
            .collect();
        let values = || cells.iter().flatten().filter_map(|c| c.value);
        if !values().any(|v| v != 0.0) {
            return None;
        }
        let lo = values().fold(0.0, f64::min);
        let hi = values().fold(0.0, f64::max);
        let ticks = nice_ticks(lo, hi, chart.value_format == ValueFormat::Integer);
        let tick_labels = ticks.labels();

        let mut header_height = if chart.title.is_empty() {
            PAD
        } else {
            PAD + TITLE_SIZE + 12.0
        };
        let mut legend = Vec::new();
        if chart.series.len() > 1 {
            let (mut x, mut y) = (PAD, header_height);
            for (i, series) in chart.series.iter().enumerate() {
                let (name, _) = fit(&series.name, 200.0, LEGEND_SIZE);
                let item = 12.0 + 6.0 + text_width(&name, LEGEND_SIZE) + 14.0;
                if x > PAD && x + item > WIDTH - PAD {
                    x = PAD;
                    y += 20.0;
                }
                legend.push((x, y, i));
                x += item;
            }
            header_height = y + 20.0 + 6.0;
        }
        Some(Frame {
            chart,
            has_negative: lo < 0.0,
            cells,
            ticks,
            tick_labels,
            legend,
            header_height,
        })
    }

    fn span(&self) -> f64 {
        self.ticks.max() - self.ticks.min()
    }

    /// Where `value` falls between the axis minimum (0) and maximum (1).
    fn fraction(&self, value: f64) -> f64 {
        (value - self.ticks.min()) / self.span()
    }

    fn widest(&self, negative: bool) -> f64 {
        self.cells
            .iter()
            .flatten()
            .filter(|c| c.value.is_some_and(|v| v < 0.0) == negative)
            .map(Cell::width)
            .fold(0.0, f64::max)
    }

    fn header(&self, out: &mut String) {
        let chart = self.chart;
        if !chart.title.is_empty() {
            let (title, cut) = fit(&chart.title, WIDTH - 2.0 * PAD, TITLE_SIZE);
            let attrs = format!(r#" font-size="{TITLE_SIZE}" font-weight="600" fill="{TEXT}""#);
            text(
                out,
                PAD,
                PAD + TITLE_SIZE,
                &attrs,
                &title,
                cut.then_some(chart.title.as_str()),
            );
        }
        for &(x, y, i) in &self.legend {
            let name = &chart.series[i].name;
            let (shown, cut) = fit(name, 200.0, LEGEND_SIZE);
            let _ = writeln!(
                out,
                r#"<rect x="{}" y="{}" width="12" height="12" rx="2" fill="{}"/>"#,
                coord(x),
                coord(y + 2.0),
                PALETTE[i % PALETTE.len()]
            );
            let attrs = format!(r#" font-size="{LEGEND_SIZE}" fill="{TEXT}""#);
            text(
                out,
                x + 18.0,
                y + 12.5,
                &attrs,
                &shown,
                cut.then_some(name.as_str()),
            );
        }
    }

    fn bar(&self, out: &mut String, (x, y, w, h): (f64, f64, f64, f64), si: usize, ci: usize) {
        let chart = self.chart;
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}"#,
            coord(x),
            coord(y),
            coord(w),
            coord(h),
            PALETTE[si % PALETTE.len()],
            escape(&chart.categories[ci])
        );
        if chart.series.len() > 1 {
            let _ = write!(out, " · {}", escape(&chart.series[si].name));
        }
        let _ = writeln!(
            out,
            ": {}</title></rect>",
            escape(&self.cells[si][ci].label)
        );
    }

    fn description(&self) -> String {
        let chart = self.chart;
        let kind = if chart.series.len() > 1 {
            "Grouped bar chart"
        } else {
            "Bar chart"
        };
        let mut desc = kind.to_string();
        if !chart.value_label.is_empty() {
            let _ = write!(desc, " of {}", chart.value_label);
        }
        desc.push('.');
        for (series, cells) in chart.series.iter().zip(&self.cells) {
            desc.push(' ');
            if chart.series.len() > 1 {
                let _ = write!(desc, "{}: ", series.name);
            }
            let items: Vec<String> = chart
                .categories
                .iter()
                .zip(cells)
                .map(|(category, cell)| format!("{category} {}", cell.label))
                .collect();
            desc.push_str(&items.join("; "));
            desc.push('.');
        }
        desc
    }
}

fn open_svg(out: &mut String, height: f64, title: &str, desc: &str) {
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" font-family="sans-serif">"#,
        w = coord(WIDTH),
        h = coord(height)
    );
    let title = if title.is_empty() { "Bar chart" } else { title };
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<desc>{}</desc>", escape(desc));
    let _ = writeln!(
        out,
        r##"<rect width="{}" height="{}" fill="#ffffff"/>"##,
        coord(WIDTH),
        coord(height)
    );
}

impl BarChart {
    /// Renders the chart as a standalone SVG document (UTF-8, no XML declaration, no external
    /// references), also fit for inlining into HTML.
    ///
    /// A chart without categories or series, or whose values are all zero or missing, renders the
    /// title and a centred "no data" note instead of axes.
    pub fn to_svg(&self) -> String {
        let mut out = String::with_capacity(4096);
        match Frame::new(self) {
            None => self.no_data(&mut out),
            Some(frame) => match self.orientation {
                Orientation::Vertical => vertical(&frame, &mut out),
                Orientation::Horizontal => horizontal(&frame, &mut out),
            },
        }
        out.push_str("</svg>\n");
        out
    }

    fn no_data(&self, out: &mut String) {
        let height = match self.orientation {
            Orientation::Vertical => VERTICAL_HEIGHT,
            Orientation::Horizontal => HORIZONTAL_EMPTY_HEIGHT,
        };
        open_svg(out, height, &self.title, "No data.");
        let header = if self.title.is_empty() {
            PAD
        } else {
            let (title, cut) = fit(&self.title, WIDTH - 2.0 * PAD, TITLE_SIZE);
            let attrs = format!(r#" font-size="{TITLE_SIZE}" font-weight="600" fill="{TEXT}""#);
            text(
                out,
                PAD,
                PAD + TITLE_SIZE,
                &attrs,
                &title,
                cut.then_some(self.title.as_str()),
            );
            PAD + TITLE_SIZE + 12.0
        };
        let attrs = format!(r#" font-size="14" fill="{MUTED}" text-anchor="middle""#);
        let y = header + (height - header - PAD) / 2.0 + 5.0;
        text(out, WIDTH / 2.0, y, &attrs, "no data", None);
    }
}

fn vertical(frame: &Frame<'_>, out: &mut String) {
    let chart = frame.chart;
    let n = chart.categories.len() as f64;
    let groups = chart.series.len() as f64;
    let height = VERTICAL_HEIGHT;

    let tick_width = frame
        .tick_labels
        .iter()
        .map(|l| text_width(l, LABEL_SIZE))
        .fold(0.0, f64::max);
    let axis_title = if chart.value_label.is_empty() {
        0.0
    } else {
        LABEL_SIZE + 8.0
    };
    let base_left = PAD + axis_title + tick_width + 8.0;
    let right = PAD;

    // Category labels: level when every one fits its band, else rotated 45° and shortened.
    let level_band = (WIDTH - base_left - right) / n;
    let widest_category = chart
        .categories
        .iter()
        .map(|c| text_width(c, LABEL_SIZE))
        .fold(0.0, f64::max);
    let rotate = widest_category > level_band - 6.0;
    let categories: Vec<(String, bool)> = chart
        .categories
        .iter()
        .map(|c| {
            if rotate {
                fit(
                    c,
                    ROTATED_LABEL_CHARS as f64 * CHAR_WIDTH * LABEL_SIZE,
                    LABEL_SIZE,
                )
            } else {
                (c.clone(), false)
            }
        })
        .collect();
    let rotated_width = categories
        .iter()
        .map(|(c, _)| text_width(c, LABEL_SIZE))
        .fold(0.0, f64::max);
    let diagonal = std::f64::consts::FRAC_1_SQRT_2;
    // A rotated first label hangs left of its band; make room for it.
    let mut left = base_left;
    if rotate {
        for _ in 0..3 {
            let band = (WIDTH - left - right) / n;
            left = base_left.max(rotated_width * diagonal + 6.0 - band / 2.0);
        }
    }
    let plot_w = WIDTH - left - right;
    let band = plot_w / n;
    let category_depth = if rotate {
        (rotated_width + LABEL_SIZE) * diagonal + 8.0
    } else {
        LABEL_SIZE + 8.0
    };
    // With many rotated labels only every `label_every`-th one is drawn, so they never overlap.
    let label_every = if rotate {
        ((LABEL_SIZE + 3.0) / (band * diagonal)).ceil().max(1.0) as usize
    } else {
        1
    };

    let group_w = if groups > 1.0 {
        band * 0.8
    } else {
        (band * 0.64).min(80.0)
    };
    let gap = if groups > 1.0 {
        (group_w * 0.04).min(2.0)
    } else {
        0.0
    };
    let bar_w = (group_w - gap * (groups - 1.0)) / groups;
    let slot = if groups > 1.0 { bar_w + gap } else { band };
    let level_values = frame.widest(false).max(frame.widest(true)) <= slot - 2.0;
    let room = |negative: bool| {
        if level_values {
            LABEL_SIZE + 6.0
        } else {
            frame.widest(negative) + 8.0
        }
    };
    let top = frame.header_height + room(false);
    let below = if frame.has_negative { room(true) } else { 0.0 };
    let bottom = PAD + category_depth + below;
    // Extreme labels may spill over the edges rather than squeeze the plot away.
    let plot_h = (height - top - bottom).max(60.0);
    let plot_bottom = top + plot_h;
    let y_of = |v: f64| plot_bottom - frame.fraction(v) * plot_h;

    open_svg(out, height, &chart.title, &frame.description());
    frame.header(out);

    // Gridlines and tick labels.
    let tick_attrs = format!(r#" font-size="{LABEL_SIZE}" fill="{MUTED}" text-anchor="end""#);
    for (value, label) in frame.ticks.values().into_iter().zip(&frame.tick_labels) {
        let y = y_of(value);
        if value != 0.0 {
            line(out, (left, y), (left + plot_w, y), GRID);
        }
        text(out, left - 8.0, y + 4.0, &tick_attrs, label, None);
    }
    if axis_title > 0.0 {
        let (shown, cut) = fit(&chart.value_label, plot_h, LABEL_SIZE);
        let x = PAD + LABEL_SIZE - 2.0;
        let y = top + plot_h / 2.0;
        let attrs = format!(
            r#" font-size="{LABEL_SIZE}" fill="{MUTED}" text-anchor="middle" transform="rotate(-90 {} {})""#,
            coord(x),
            coord(y)
        );
        text(
            out,
            x,
            y,
            &attrs,
            &shown,
            cut.then_some(chart.value_label.as_str()),
        );
    }

    // Bars and their value labels.
    let zero = y_of(0.0);
    let value_attrs = |anchor: &str, fill: &str, x: f64, y: f64| {
        let rotation = if level_values {
            String::new()
        } else {
            format!(r#" transform="rotate(-90 {} {})""#, coord(x), coord(y))
        };
        format!(r#" font-size="{LABEL_SIZE}" fill="{fill}" text-anchor="{anchor}"{rotation}"#)
    };
    for ci in 0..chart.categories.len() {
        let group_x = left + band * ci as f64 + (band - group_w) / 2.0;
        for si in 0..chart.series.len() {
            let cell = &frame.cells[si][ci];
            let x = group_x + (bar_w + gap) * si as f64;
            let center = x + bar_w / 2.0;
            let value = cell.value.unwrap_or(0.0);
            if cell.value.is_some() {
                let end = y_of(value);
                frame.bar(out, (x, end.min(zero), bar_w, (end - zero).abs()), si, ci);
            }
            let fill = if cell.value.is_some() { TEXT } else { NA };
            let negative = value < 0.0;
            let end = y_of(value);
            let (x, y, anchor) = match (level_values, negative) {
                (true, false) => (center, end - 5.0, "middle"),
                (true, true) => (center, end + LABEL_SIZE + 3.0, "middle"),
                (false, false) => (center + LABEL_SIZE * 0.35, end - 5.0, "start"),
                (false, true) => (center + LABEL_SIZE * 0.35, end + 5.0, "end"),
            };
            let attrs = value_attrs(anchor, fill, x, y);
            text(out, x, y, &attrs, &cell.label, None);
        }
    }
    line(out, (left, zero), (left + plot_w, zero), AXIS);

    // Category labels.
    let label_top = plot_bottom + below;
    for (ci, (shown, cut)) in categories.iter().enumerate() {
        if ci % label_every != 0 {
            continue;
        }
        let full = cut.then_some(chart.categories[ci].as_str());
        let center = left + band * (ci as f64 + 0.5);
        if rotate {
            let (x, y) = (center + 3.0, label_top + 12.0);
            let attrs = format!(
                r#" font-size="{LABEL_SIZE}" fill="{TEXT}" text-anchor="end" transform="rotate(-45 {} {})""#,
                coord(x),
                coord(y)
            );
            text(out, x, y, &attrs, shown, full);
        } else {
            let attrs = format!(r#" font-size="{LABEL_SIZE}" fill="{TEXT}" text-anchor="middle""#);
            text(
                out,
                center,
                label_top + LABEL_SIZE + 6.0,
                &attrs,
                shown,
                full,
            );
        }
    }
}

fn horizontal(frame: &Frame<'_>, out: &mut String) {
    let chart = frame.chart;
    let groups = chart.series.len() as f64;
    let (bar_h, gap) = if groups > 1.0 {
        (13.0, 2.0)
    } else {
        (20.0, 0.0)
    };
    let group_h = bar_h * groups + gap * (groups - 1.0);
    let band = group_h + if groups > 1.0 { 12.0 } else { 10.0 };

    let category_column = chart
        .categories
        .iter()
        .map(|c| text_width(c, LABEL_SIZE))
        .fold(0.0, f64::max)
        .min(WIDTH * 0.38);
    let negative_room = if frame.has_negative {
        frame.widest(true) + 6.0
    } else {
        0.0
    };
    let left = PAD + category_column + 10.0 + negative_room;
    let last_tick = frame
        .tick_labels
        .last()
        .map_or(0.0, |l| text_width(l, LABEL_SIZE));
    let right = (PAD + frame.widest(false) + 6.0).max(PAD + last_tick / 2.0);
    let plot_w = (WIDTH - left - right).max(120.0);
    let top = frame.header_height + 4.0;
    let plot_h = band * chart.categories.len() as f64;
    let plot_bottom = top + plot_h;
    let axis_title = if chart.value_label.is_empty() {
        0.0
    } else {
        LABEL_SIZE + 10.0
    };
    let height = (plot_bottom + LABEL_SIZE + 10.0 + axis_title + PAD).ceil();
    let x_of = |v: f64| left + frame.fraction(v) * plot_w;

    open_svg(out, height, &chart.title, &frame.description());
    frame.header(out);

    let tick_attrs = format!(r#" font-size="{LABEL_SIZE}" fill="{MUTED}" text-anchor="middle""#);
    for (value, label) in frame.ticks.values().into_iter().zip(&frame.tick_labels) {
        let x = x_of(value);
        if value != 0.0 {
            line(out, (x, top), (x, plot_bottom), GRID);
        }
        text(
            out,
            x,
            plot_bottom + LABEL_SIZE + 6.0,
            &tick_attrs,
            label,
            None,
        );
    }
    if axis_title > 0.0 {
        let (shown, cut) = fit(&chart.value_label, plot_w, LABEL_SIZE);
        let attrs = format!(r#" font-size="{LABEL_SIZE}" fill="{MUTED}" text-anchor="middle""#);
        text(
            out,
            left + plot_w / 2.0,
            plot_bottom + 2.0 * LABEL_SIZE + 14.0,
            &attrs,
            &shown,
            cut.then_some(chart.value_label.as_str()),
        );
    }

    let zero = x_of(0.0);
    let label_x = PAD + category_column;
    for (ci, category) in chart.categories.iter().enumerate() {
        let band_top = top + band * ci as f64;
        let (shown, cut) = fit(category, category_column, LABEL_SIZE);
        let attrs = format!(r#" font-size="{LABEL_SIZE}" fill="{TEXT}" text-anchor="end""#);
        text(
            out,
            label_x,
            band_top + band / 2.0 + LABEL_SIZE * 0.35,
            &attrs,
            &shown,
            cut.then_some(category.as_str()),
        );
        let group_y = band_top + (band - group_h) / 2.0;
        for si in 0..chart.series.len() {
            let cell = &frame.cells[si][ci];
            let y = group_y + (bar_h + gap) * si as f64;
            let value = cell.value.unwrap_or(0.0);
            let end = x_of(value);
            if cell.value.is_some() {
                frame.bar(out, (end.min(zero), y, (end - zero).abs(), bar_h), si, ci);
            }
            let fill = if cell.value.is_some() { TEXT } else { NA };
            let (x, anchor) = if value < 0.0 {
                (end - 4.0, "end")
            } else {
                (end + 4.0, "start")
            };
            let attrs =
                format!(r#" font-size="{LABEL_SIZE}" fill="{fill}" text-anchor="{anchor}""#);
            text(
                out,
                x,
                y + bar_h / 2.0 + LABEL_SIZE * 0.35,
                &attrs,
                &cell.label,
                None,
            );
        }
    }
    line(out, (zero, top), (zero, plot_bottom), AXIS);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.to_string(),
            values: values.iter().map(|&v| Some(v)).collect(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn top_categories() -> BarChart {
        BarChart {
            title: "Top categories by units".to_string(),
            value_label: "units".to_string(),
            categories: strings(&["Furniture", "Food", "Butchers"]),
            series: vec![series("units", &[21000.0, 20700.0, 20100.0])],
            orientation: Orientation::Vertical,
            value_format: ValueFormat::Integer,
        }
    }

    fn nulls() -> BarChart {
        BarChart {
            title: "Nulls per column".to_string(),
            value_label: "null values".to_string(),
            categories: strings(&["item", "price_per_unit", "quantity", "discount_applied"]),
            series: vec![
                series("after cast", &[1213.0, 609.0, 604.0, 4199.0]),
                series("after repairs", &[0.0, 0.0, 0.0, 4199.0]),
            ],
            orientation: Orientation::Horizontal,
            value_format: ValueFormat::Integer,
        }
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn simple_chart_structure() {
        let svg = top_categories().to_svg();
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360" role="img" font-family="sans-serif">"#));
        assert!(svg.ends_with("</svg>\n"));
        assert!(svg.contains("<title>Top categories by units</title>"));
        assert!(svg.contains(
            "<desc>Bar chart of units. Furniture 21,000; Food 20,700; Butchers 20,100.</desc>"
        ));
        // Background plus one bar per value, no legend for a single series.
        assert_eq!(count(&svg, "<rect"), 1 + 3);
        for label in [
            "21,000",
            "20,700",
            "20,100",
            "Furniture",
            "Food",
            "Butchers",
            "units",
        ] {
            assert!(svg.contains(&format!(">{label}<")), "missing {label}");
        }
        // Ticks 0, 5,000 … 25,000 with a gridline for each except the zero axis.
        for tick in ["0", "5,000", "10,000", "15,000", "20,000", "25,000"] {
            assert!(
                svg.contains(&format!(">{tick}</text>")),
                "missing tick {tick}"
            );
        }
        assert_eq!(count(&svg, "<line"), 5 + 1);
        assert_eq!(
            count(&svg, "<text") as isize - count(&svg, "</text>") as isize,
            0
        );
        assert_eq!(count(&svg, "rotate("), 1, "only the axis title is rotated");
        assert_eq!(count(&svg, "<svg"), 1);
    }

    #[test]
    fn grouped_chart_has_bars_legend_and_background() {
        let chart = nulls();
        let svg = chart.to_svg();
        let bars = 4 * 2;
        let swatches = 2;
        assert_eq!(count(&svg, "<rect"), bars + swatches + 1);
        assert!(svg.contains(">after cast</text>"));
        assert!(svg.contains(">after repairs</text>"));
        assert!(svg.contains(r##"fill="#0072B2""##));
        assert!(svg.contains(r##"fill="#D55E00""##));
        assert!(svg.contains("<title>discount_applied · after repairs: 4,199</title>"));
        assert!(svg.contains("after cast: item 1,213; price_per_unit 609;"));
    }

    #[test]
    fn missing_values_draw_no_bar_and_say_na() {
        let mut chart = nulls();
        chart.series[1].values[0] = None;
        chart.series[1].values[1] = Some(f64::NAN);
        chart.series[1].values.truncate(3);
        let svg = chart.to_svg();
        assert_eq!(count(&svg, "<rect"), (4 * 2 - 3) + 2 + 1);
        assert_eq!(count(&svg, ">n/a</text>"), 3);
    }

    #[test]
    fn horizontal_height_grows_with_categories() {
        let mut chart = nulls();
        let few = chart.to_svg();
        chart.categories = (0..30).map(|i| format!("column_{i}")).collect();
        for s in &mut chart.series {
            s.values = (0..30).map(|i| Some(i as f64)).collect();
        }
        let many = chart.to_svg();
        let height = |svg: &str| -> f64 {
            let start = svg.find("height=\"").map(|i| i + 8).unwrap_or(0);
            let end = svg[start..].find('"').map(|i| start + i).unwrap_or(start);
            svg[start..end].parse().unwrap_or(0.0)
        };
        assert!(height(&few) < 300.0, "{}", height(&few));
        assert!(height(&many) > 30.0 * 30.0, "{}", height(&many));
        assert!(many.contains(&format!(r#"viewBox="0 0 640 {}""#, height(&many))));
    }

    #[test]
    fn hostile_text_is_escaped() {
        let hostile = "<script>alert(1)</script>";
        let chart = BarChart {
            title: format!("{hostile} & \"quotes\" 'too'"),
            value_label: hostile.to_string(),
            categories: strings(&[hostile, "ok"]),
            series: vec![series(hostile, &[1.0, 2.0]), series("b", &[3.0, 4.0])],
            orientation: Orientation::Vertical,
            value_format: ValueFormat::Decimal(1),
        };
        for orientation in [Orientation::Vertical, Orientation::Horizontal] {
            let svg = BarChart {
                orientation,
                ..chart.clone()
            }
            .to_svg();
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("alert(1)</"), "{svg}");
            assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert!(svg.contains("&amp; &quot;quotes&quot; &#39;too&#39;"));
        }
    }

    #[test]
    fn output_is_deterministic() {
        for chart in [top_categories(), nulls()] {
            assert_eq!(chart.to_svg(), chart.clone().to_svg());
        }
    }

    #[test]
    fn no_data_charts() {
        let empty = BarChart {
            title: "Rows by month".to_string(),
            ..BarChart::default()
        };
        let zeros = BarChart {
            series: vec![Series {
                name: "rows".to_string(),
                values: vec![Some(0.0), None, Some(f64::INFINITY)],
            }],
            categories: strings(&["Jan", "Feb", "Mar"]),
            ..empty.clone()
        };
        let no_series = BarChart {
            categories: strings(&["Jan"]),
            ..empty.clone()
        };
        for chart in [empty, zeros, no_series] {
            let svg = chart.to_svg();
            assert!(svg.starts_with("<svg xmlns="));
            assert!(svg.contains(r#"role="img""#));
            assert!(svg.contains("<title>Rows by month</title>"));
            assert!(svg.contains("<desc>No data.</desc>"));
            assert!(svg.contains(">no data</text>"));
            assert_eq!(count(&svg, "<rect"), 1);
            assert!(svg.ends_with("</svg>\n"));
        }
    }

    #[test]
    fn decimal_format_prints_fixed_digits() {
        let chart = BarChart {
            title: "Average spend by payment method".to_string(),
            value_label: "average spend".to_string(),
            categories: strings(&["Cash", "Credit Card", "Digital Wallet"]),
            series: vec![series("average spend", &[130.2, 129.8, 131.0])],
            orientation: Orientation::Vertical,
            value_format: ValueFormat::Decimal(1),
        };
        let svg = chart.to_svg();
        for label in [">130.2<", ">129.8<", ">131.0<", ">150</text>"] {
            assert!(svg.contains(label), "missing {label}");
        }
    }

    #[test]
    fn long_vertical_labels_are_rotated_and_shortened() {
        let chart = BarChart {
            categories: strings(&[
                "Computers and electric accessories",
                "Electric household essentials",
                "Furniture",
                "Milk Products",
                "Patisserie",
                "Beverages",
                "Butchers",
                "Food",
            ]),
            series: vec![series("units", &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])],
            ..top_categories()
        };
        let svg = chart.to_svg();
        assert!(svg.contains("rotate(-45 "));
        assert!(svg.contains(
            ">Computers and elect…<title>Computers and electric accessories</title></text>"
        ));
        assert!(svg.contains(">Furniture</text>"));
    }

    #[test]
    fn negative_values_grow_the_other_way() {
        let chart = BarChart {
            categories: strings(&["a", "b"]),
            series: vec![series("change", &[-30.0, 70.0])],
            ..top_categories()
        };
        for orientation in [Orientation::Vertical, Orientation::Horizontal] {
            let svg = BarChart {
                orientation,
                ..chart.clone()
            }
            .to_svg();
            assert!(svg.contains(">-50</text>"));
            assert!(svg.contains(">-30</text>"));
            assert!(!svg.contains("height=\"-"));
            assert!(!svg.contains("width=\"-"));
        }
    }
}
