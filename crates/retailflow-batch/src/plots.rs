//! The charts and the one-page HTML report of a clean run (`retailflow clean --plots DIR`): SVG bar
//! charts of the report's figures, one file each, and `report.html`, a self-contained page (inline
//! CSS and SVG, no scripts, nothing fetched) with the figures, the story's tables and the same
//! charts inline.
//!
//! Everything here is built from the typed [`Report`] and catalog; this is the only place where
//! they become SVG or HTML, through `retailflow-charts`, which escapes every piece of text.

use std::path::{Path, PathBuf};

use retailflow_charts::{
    BarChart, Block, Orientation, ReportPage, Section, Series, Table, ValueFormat, format_number,
};

use crate::catalog::CatalogEntry;
use crate::error::BatchError;
use crate::report::{Ordered, Report};
use crate::show::spark_double;

/// The file name of the page in the plots folder.
pub(crate) const PAGE: &str = "report.html";

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// What the page tells about the run beyond the report.
pub(crate) struct Run<'a> {
    pub(crate) input: &'a Path,
    pub(crate) output: &'a Path,
    /// The value rules in words.
    pub(crate) rules: String,
    /// The whole catalog, sorted.
    pub(crate) catalog: &'a [CatalogEntry],
    /// How many catalog rows the page lists.
    pub(crate) catalog_rows_shown: usize,
}

/// One chart, its file and the table of the same figures.
struct Plot {
    file: &'static str,
    heading: &'static str,
    caption: String,
    svg: String,
    table: Table,
}

/// Refuses, before the job runs, a plots folder that is an existing file.
pub(crate) fn check_dir(dir: &Path) -> Result<(), BatchError> {
    if dir.exists() && !dir.is_dir() {
        return Err(BatchError::OutputUnwritable {
            path: dir.to_path_buf(),
            reason: "not a folder (--plots takes a folder)".into(),
        });
    }
    Ok(())
}

/// Writes every chart and the page into `dir` (created if needed); returns the page's path.
pub(crate) fn write_plots(
    dir: &Path,
    report: &Report,
    run: &Run<'_>,
) -> Result<PathBuf, BatchError> {
    let unwritable = |path: &Path, error: std::io::Error| BatchError::PlotsUnwritable {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| unwritable(dir, e))?;
    let plots = plots(report);
    for plot in &plots {
        let path = dir.join(plot.file);
        std::fs::write(&path, &plot.svg).map_err(|e| unwritable(&path, e))?;
    }
    let path = dir.join(PAGE);
    std::fs::write(&path, page(report, run, plots).to_html()).map_err(|e| unwritable(&path, e))?;
    Ok(path)
}

fn integer(value: u64) -> String {
    format_number(value as f64, 0)
}

fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn single(name: &str, values: impl IntoIterator<Item = f64>) -> Vec<Series> {
    vec![Series {
        name: name.to_string(),
        values: values.into_iter().map(Some).collect(),
    }]
}

/// "Jan" for `"1"`, and so on; any other key as it is.
fn month_label(key: &str) -> String {
    key.parse::<usize>()
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|i| MONTHS.get(i))
        .map_or_else(|| key.to_string(), |name| name.to_string())
}

/// The charts in page order: nulls, top categories, spend by payment method and by location, rows
/// by weekday and by month.
fn plots(report: &Report) -> Vec<Plot> {
    let mut plots = vec![nulls(report)];

    let top = &report.top_categories;
    let chart = BarChart {
        title: format!("Top {} categories by units sold", top.len()),
        value_label: "units".into(),
        categories: top.iter().map(|c| c.category.clone()).collect(),
        series: single("units", top.iter().map(|c| c.units as f64)),
        orientation: Orientation::Horizontal,
        value_format: ValueFormat::Integer,
    };
    plots.push(Plot {
        file: "top_categories.svg",
        heading: "Top categories by units",
        caption: "Σ quantity over the clean rows, most first, ties by name.".into(),
        svg: chart.to_svg(),
        table: Table {
            header: strings(["rank", "category", "units"]),
            rows: top
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    vec![
                        (i + 1).to_string(),
                        c.category.clone(),
                        format_number(c.units as f64, 0),
                    ]
                })
                .collect(),
            numeric_columns: vec![0, 2],
        },
    });

    for (file, heading, title, key, averages) in [
        (
            "spend_by_payment.svg",
            "Average spend by payment method",
            "Average total_spent by payment method",
            "payment_method",
            &report.avg_total_spent_by_payment_method,
        ),
        (
            "spend_by_location.svg",
            "Average spend by location",
            "Average total_spent by location",
            "location",
            &report.avg_total_spent_by_location,
        ),
    ] {
        plots.push(average_plot(file, heading, title, key, averages));
    }

    plots.push(rows_plot(
        "rows_by_weekday.svg",
        "Rows by day of week",
        "Clean rows by day of week, Monday first.",
        "day_of_week",
        &report.rows_by_day_of_week,
        str::to_string,
    ));
    plots.push(rows_plot(
        "rows_by_month.svg",
        "Rows by month",
        "Clean rows by calendar month, all years together.",
        "transaction_month",
        &report.rows_by_month,
        month_label,
    ));
    plots
}

/// Nulls per input column after the cast (all rows loaded) and in the clean rows (after the
/// repairs and the drop).
fn nulls(report: &Report) -> Plot {
    let after_cast = &report.nulls_after_cast;
    let columns: Vec<String> = after_cast.keys().map(String::from).collect();
    let chart = BarChart {
        title: "Nulls per column: after the cast and after the repairs".into(),
        value_label: "null values".into(),
        categories: columns.clone(),
        series: vec![
            Series {
                name: "after the cast".into(),
                values: after_cast.0.iter().map(|(_, n)| Some(*n as f64)).collect(),
            },
            Series {
                name: "after the repairs".into(),
                values: columns
                    .iter()
                    .map(|c| report.still_null.get(c).map(|n| *n as f64))
                    .collect(),
            },
        ],
        orientation: Orientation::Horizontal,
        value_format: ValueFormat::Integer,
    };
    let mut rows: Vec<Vec<String>> = after_cast
        .0
        .iter()
        .map(|(column, n)| {
            let still = report
                .still_null
                .get(column)
                .map_or_else(String::new, |n| integer(*n));
            vec![column.clone(), integer(*n), still]
        })
        .collect();
    rows.extend(
        report
            .still_null
            .0
            .iter()
            .filter(|(column, _)| after_cast.get(column).is_none())
            .map(|(column, n)| vec![column.clone(), "added by clean".into(), integer(*n)]),
    );
    Plot {
        file: "nulls.svg",
        heading: "Nulls per column",
        caption: format!(
            "After the cast: empty and junk values and values breaking a value rule, over the {} rows loaded. \
             After the repairs: what the repairs could not fill, over the {} clean rows left once rows \
             still missing category, quantity, total_spent or price_per_unit are dropped.",
            integer(report.rows_loaded),
            integer(report.rows_clean)
        ),
        svg: chart.to_svg(),
        table: Table {
            header: strings(["column", "nulls after the cast", "nulls after the repairs"]),
            rows,
            numeric_columns: vec![1, 2],
        },
    }
}

fn average_plot(
    file: &'static str,
    heading: &'static str,
    title: &str,
    key: &str,
    averages: &Ordered<f64>,
) -> Plot {
    let chart = BarChart {
        title: title.to_string(),
        value_label: "average total_spent".into(),
        categories: averages.keys().map(String::from).collect(),
        series: single("average total_spent", averages.0.iter().map(|(_, v)| *v)),
        orientation: Orientation::Vertical,
        value_format: ValueFormat::Decimal(2),
    };
    Plot {
        file,
        heading,
        caption: format!("Mean total_spent per {key} over the clean rows, rounded to 2 decimals."),
        svg: chart.to_svg(),
        table: Table {
            header: strings([key, "avg_total_spent"]),
            rows: averages
                .0
                .iter()
                .map(|(name, mean)| vec![name.clone(), format_number(*mean, 2)])
                .collect(),
            numeric_columns: vec![1],
        },
    }
}

fn rows_plot(
    file: &'static str,
    heading: &'static str,
    caption: &str,
    key: &str,
    counts: &Ordered<u64>,
    label: fn(&str) -> String,
) -> Plot {
    let chart = BarChart {
        title: heading.to_string(),
        value_label: "rows".into(),
        categories: counts.keys().map(label).collect(),
        series: single("rows", counts.0.iter().map(|(_, n)| *n as f64)),
        orientation: Orientation::Vertical,
        value_format: ValueFormat::Integer,
    };
    Plot {
        file,
        heading,
        caption: caption.to_string(),
        svg: chart.to_svg(),
        table: Table {
            header: strings([key, "rows"]),
            rows: counts
                .0
                .iter()
                .map(|(name, n)| vec![name.clone(), integer(*n)])
                .collect(),
            numeric_columns: vec![1],
        },
    }
}

fn chart_section(plot: Plot) -> Section {
    Section {
        heading: plot.heading.to_string(),
        blocks: vec![
            Block::Chart {
                svg: plot.svg,
                caption: plot.caption,
            },
            Block::Table(plot.table),
        ],
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

fn page(report: &Report, run: &Run<'_>, plots: Vec<Plot>) -> ReportPage {
    let restored = report.restored;
    let restored_total =
        restored.item + restored.total_spent + restored.quantity + restored.price_per_unit;
    let how = if report.date_format_detected {
        "detected"
    } else {
        "given"
    };
    let summary = Section {
        heading: "Summary".into(),
        blocks: vec![
            Block::Paragraph(format!(
                "Cleaned {} into {}: {} rows loaded, {} repaired values, {} rows dropped for still \
                 missing category, quantity, total_spent or price_per_unit, {} clean rows written.",
                run.input.display(),
                run.output.display(),
                integer(report.rows_loaded),
                integer(restored_total),
                integer(report.rows_dropped),
                integer(report.rows_clean),
            )),
            Block::Figures(vec![
                ("Rows loaded".into(), integer(report.rows_loaded)),
                ("Rows dropped".into(), integer(report.rows_dropped)),
                ("Clean rows".into(), integer(report.rows_clean)),
                ("Columns".into(), integer(report.columns.len() as u64)),
                (format!("Date format ({how})"), report.date_format.clone()),
                ("Values restored".into(), integer(restored_total)),
                ("Catalog rows".into(), integer(report.catalog_rows)),
                (
                    "Ambiguous catalog keys".into(),
                    integer(report.catalog_ambiguous_keys),
                ),
            ]),
        ],
    };

    let rules = &report.value_rules;
    let value_rules = Section {
        heading: "Value rules".into(),
        blocks: vec![
            Block::Paragraph(format!(
                "Rules: {}. Values out of range are nulled and counted in the nulls after the cast.",
                run.rules
            )),
            Block::Figures(vec![
                (
                    "Max quantity".into(),
                    format_number(rules.max_quantity as f64, 0),
                ),
                ("Max price".into(), format_number(rules.max_price, 2)),
                ("Max total".into(), format_number(rules.max_total, 2)),
            ]),
            Block::Table(Table {
                header: strings(["column", "below_min", "above_max"]),
                rows: report
                    .out_of_range
                    .0
                    .iter()
                    .map(|(column, by_rule)| {
                        let count = |rule: &str| by_rule.get(rule).map_or(0, |n| *n);
                        vec![
                            column.clone(),
                            integer(count("below_min")),
                            integer(count("above_max")),
                        ]
                    })
                    .collect(),
                numeric_columns: vec![1, 2],
            }),
        ],
    };

    let shown = run.catalog.len().min(run.catalog_rows_shown);
    let catalog = Section {
        heading: "Catalog of (category, item, price_per_unit)".into(),
        blocks: vec![
            Block::Paragraph(format!(
                "{} distinct rows; {} ambiguous (category, price_per_unit) keys, which name more \
                 than one item and never fill one. {}",
                integer(report.catalog_rows),
                integer(report.catalog_ambiguous_keys),
                if shown < run.catalog.len() {
                    format!("The first {shown}, by category, price and item:")
                } else {
                    "By category, price and item:".to_string()
                }
            )),
            Block::Table(Table {
                header: strings(["category", "item", "price_per_unit"]),
                rows: run.catalog[..shown]
                    .iter()
                    .map(|e| vec![e.category.clone(), e.item.clone(), spark_double(e.price)])
                    .collect(),
                numeric_columns: vec![2],
            }),
        ],
    };

    let repairs = Section {
        heading: "Repairs and the drop".into(),
        blocks: vec![
            Block::Paragraph(format!(
                "Repairs run until nothing changes; then {} rows still missing category, quantity, \
                 total_spent or price_per_unit are dropped.",
                integer(report.rows_dropped)
            )),
            Block::Table(Table {
                header: strings(["column", "values restored", "how"]),
                rows: vec![
                    strings(["item", &integer(restored.item), "from the catalog"]),
                    strings([
                        "total_spent",
                        &integer(restored.total_spent),
                        "quantity × price_per_unit",
                    ]),
                    strings([
                        "quantity",
                        &integer(restored.quantity),
                        "total_spent ÷ price_per_unit",
                    ]),
                    strings([
                        "price_per_unit",
                        &integer(restored.price_per_unit),
                        "total_spent ÷ quantity",
                    ]),
                ],
                numeric_columns: vec![1],
            }),
        ],
    };

    let mut plots = plots.into_iter();
    let mut sections = vec![summary];
    sections.extend(plots.next().map(chart_section));
    sections.extend([value_rules, catalog, repairs]);
    sections.extend(plots.map(chart_section));
    ReportPage {
        title: format!("Clean report: {}", file_name(run.input)),
        subtitle: Some(format!(
            "{} rows loaded · {} clean rows · {}",
            integer(report.rows_loaded),
            integer(report.rows_clean),
            file_name(run.output)
        )),
        sections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CategoryUnits, RestoredCounts, ValueRulesReport};

    fn ordered<V: Copy>(pairs: &[(&str, V)]) -> Ordered<V> {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    fn report() -> Report {
        let columns = ["category", "item", "quantity", "discount_applied"];
        Report {
            rows_loaded: 1200,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            nulls_after_cast: ordered(&[
                ("category", 0),
                ("item", 120),
                ("quantity", 40),
                ("discount_applied", 300),
            ]),
            value_rules: ValueRulesReport {
                max_quantity: 1000,
                max_price: 10000.0,
                max_total: 10_000_000.0,
            },
            out_of_range: [(
                "quantity",
                ordered(&[("below_min", 2u64), ("above_max", 3)]),
            )]
            .into_iter()
            .collect(),
            catalog_rows: 3,
            catalog_ambiguous_keys: 1,
            restored: RestoredCounts {
                item: 120,
                total_spent: 5,
                quantity: 0,
                price_per_unit: 7,
            },
            rows_dropped: 40,
            rows_clean: 1160,
            still_null: ordered(&[
                ("category", 0),
                ("item", 0),
                ("quantity", 0),
                ("discount_applied", 290),
                ("day_of_week", 0),
            ]),
            date_format: "%Y-%m-%d".into(),
            date_format_detected: true,
            top_categories: vec![
                CategoryUnits {
                    category: "Furniture".into(),
                    units: 2100,
                },
                CategoryUnits {
                    category: "<b>Food & Drink</b>".into(),
                    units: 1900,
                },
            ],
            avg_total_spent_by_payment_method: ordered(&[
                ("Cash", 131.05),
                ("Credit Card", 129.13),
            ]),
            avg_total_spent_by_location: ordered(&[("In-store", 130.5), ("Online", 130.42)]),
            rows_by_day_of_week: ordered(&[("Monday", 170), ("Tuesday", 160), ("Sunday", 150)]),
            rows_by_month: ordered(&[("1", 100), ("2", 90), ("12", 80)]),
        }
    }

    fn catalog() -> Vec<CatalogEntry> {
        ["Item_1", "Item_2", "Item_3"]
            .iter()
            .enumerate()
            .map(|(i, item)| CatalogEntry {
                category: "Food".into(),
                item: item.to_string(),
                price: 5.0 + i as f64,
            })
            .collect()
    }

    fn run(catalog: &[CatalogEntry]) -> Run<'_> {
        Run {
            input: Path::new("/data/sales.csv"),
            output: Path::new("/data/sales_clean.parquet"),
            rules: "quantity a whole number in 1..=1000".into(),
            catalog,
            catalog_rows_shown: 2,
        }
    }

    fn find<'a>(plots: &'a [Plot], file: &str) -> &'a Plot {
        plots.iter().find(|p| p.file == file).unwrap()
    }

    #[test]
    fn one_chart_per_figure_in_page_order() {
        let files: Vec<&str> = plots(&report()).iter().map(|p| p.file).collect();
        assert_eq!(
            files,
            [
                "nulls.svg",
                "top_categories.svg",
                "spend_by_payment.svg",
                "spend_by_location.svg",
                "rows_by_weekday.svg",
                "rows_by_month.svg",
            ]
        );
    }

    #[test]
    fn charts_carry_the_report_figures_as_text() {
        let plots = plots(&report());
        let top = &find(&plots, "top_categories.svg").svg;
        assert!(top.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(top.contains(">Top 2 categories by units sold<"));
        assert!(top.contains(">Furniture</text>") && top.contains(">2,100</text>"));
        assert!(top.contains(">&lt;b&gt;Food &amp; Drink&lt;/b&gt;</text>"));
        assert!(!top.contains("<b>"));

        let payment = &find(&plots, "spend_by_payment.svg").svg;
        assert!(payment.contains(">131.05</text>") && payment.contains(">Credit Card</text>"));
        let location = &find(&plots, "spend_by_location.svg").svg;
        assert!(location.contains(">130.42</text>") && location.contains(">In-store</text>"));

        let month = find(&plots, "rows_by_month.svg");
        assert!(month.svg.contains(">Jan</text>") && month.svg.contains(">Dec</text>"));
        assert_eq!(month.table.rows[2], ["12", "80"]);
        let weekday = &find(&plots, "rows_by_weekday.svg").svg;
        assert!(weekday.contains(">Monday</text>") && weekday.contains(">170</text>"));
    }

    #[test]
    fn nulls_compare_the_cast_with_the_repairs() {
        let plots = plots(&report());
        let nulls = find(&plots, "nulls.svg");
        assert!(nulls.svg.contains(">after the cast</text>"));
        assert!(nulls.svg.contains(">after the repairs</text>"));
        assert!(
            nulls
                .svg
                .contains("<title>item · after the cast: 120</title>")
        );
        assert!(
            nulls
                .svg
                .contains("<title>discount_applied · after the repairs: 290</title>")
        );
        assert_eq!(nulls.table.rows[1], ["item", "120", "0"]);
        assert_eq!(nulls.table.rows[4], ["day_of_week", "added by clean", "0"]);
        assert!(
            nulls.caption.contains("1,200 rows loaded")
                && nulls.caption.contains("1,160 clean rows")
        );
    }

    #[test]
    fn months_are_named() {
        assert_eq!(month_label("1"), "Jan");
        assert_eq!(month_label("12"), "Dec");
        assert_eq!(month_label("0"), "0");
        assert_eq!(month_label("13"), "13");
        assert_eq!(month_label("x"), "x");
    }

    #[test]
    fn the_page_holds_figures_tables_and_every_chart_inline() {
        let report = report();
        let catalog = catalog();
        let plots = plots(&report);
        let svgs: Vec<String> = plots.iter().map(|p| p.svg.clone()).collect();
        let html = page(&report, &run(&catalog), plots).to_html();
        assert!(html.contains("<title>Clean report: sales.csv</title>"));
        assert!(html.contains("<div><dt>Clean rows</dt><dd>1,160</dd></div>"));
        assert!(html.contains("<div><dt>Rows dropped</dt><dd>40</dd></div>"));
        assert!(html.contains("<div><dt>Date format (detected)</dt><dd>%Y-%m-%d</dd></div>"));
        assert!(html.contains("<div><dt>Values restored</dt><dd>132</dd></div>"));
        assert!(html.contains(
            "<tr><td>quantity</td><td class=\"num\">2</td><td class=\"num\">3</td></tr>"
        ));
        assert!(html.contains("<tr><td>Food</td><td>Item_2</td><td class=\"num\">6.0</td></tr>"));
        assert!(!html.contains("Item_3"), "only the first two catalog rows");
        assert!(html.contains("The first 2, by category"));
        assert!(html.contains("<td>Cash</td><td class=\"num\">131.05</td>"));
        for svg in &svgs {
            let inline = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
            assert!(html.contains(&inline));
        }
        assert_eq!(html.matches("<svg").count(), svgs.len());
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("src="));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn writes_every_file_and_refuses_a_file_as_folder() {
        let dir = tempfile::tempdir().unwrap();
        let plots_dir = dir.path().join("nested/plots");
        let catalog = catalog();
        let page = write_plots(&plots_dir, &report(), &run(&catalog)).unwrap();
        assert_eq!(page, plots_dir.join(PAGE));
        for file in [
            "nulls.svg",
            "top_categories.svg",
            "spend_by_payment.svg",
            "spend_by_location.svg",
            "rows_by_weekday.svg",
            "rows_by_month.svg",
            PAGE,
        ] {
            let text = std::fs::read_to_string(plots_dir.join(file)).unwrap();
            assert!(text.len() > 500, "{file}");
        }

        let file = dir.path().join("taken");
        std::fs::write(&file, "x").unwrap();
        let error = check_dir(&file).unwrap_err();
        assert_eq!(error.fault(), crate::Fault::UserInput);
        assert!(error.to_string().contains("not a folder"), "{error}");
        assert!(check_dir(&plots_dir).is_ok());
        assert!(check_dir(&dir.path().join("new")).is_ok());

        let error = write_plots(&file.join("plots"), &report(), &run(&catalog)).unwrap_err();
        assert_eq!(error.fault(), crate::Fault::Environment);
        assert!(
            error.to_string().contains("cannot write the charts"),
            "{error}"
        );
    }
}
