//! Writes a sample report with realistic retail figures to `/tmp/charts-sample/`: `report.html`
//! and each chart as its own SVG file.

use std::fs;
use std::io;
use std::path::Path;

use retailflow_charts::{
    BarChart, Block, Orientation, ReportPage, Section, Series, Table, ValueFormat,
};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn series(name: &str, values: &[f64]) -> Series {
    Series {
        name: name.to_string(),
        values: values.iter().map(|&v| Some(v)).collect(),
    }
}

fn main() -> io::Result<()> {
    let dir = Path::new("/tmp/charts-sample");
    fs::create_dir_all(dir)?;

    let top_categories = BarChart {
        title: "Top 5 categories by units sold".to_string(),
        value_label: "units".to_string(),
        categories: strings(&[
            "Furniture",
            "Electric household essentials",
            "Food",
            "Computers and electric accessories",
            "Milk Products",
        ]),
        series: vec![series(
            "units",
            &[21000.0, 20652.0, 20431.0, 20117.0, 19904.0],
        )],
        orientation: Orientation::Horizontal,
        value_format: ValueFormat::Integer,
    };
    let payment = BarChart {
        title: "Average spend by payment method".to_string(),
        value_label: "average spend".to_string(),
        categories: strings(&["Cash", "Credit Card", "Digital Wallet"]),
        series: vec![series("average spend", &[130.2, 129.8, 131.0])],
        orientation: Orientation::Vertical,
        value_format: ValueFormat::Decimal(1),
    };
    let weekday = BarChart {
        title: "Rows by day of week".to_string(),
        value_label: "rows".to_string(),
        categories: strings(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
        series: vec![series(
            "rows",
            &[1812.0, 1776.0, 1790.0, 1745.0, 1803.0, 1838.0, 1811.0],
        )],
        orientation: Orientation::Vertical,
        value_format: ValueFormat::Integer,
    };
    let month = BarChart {
        title: "Rows by month".to_string(),
        value_label: "rows".to_string(),
        categories: strings(&[
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]),
        series: vec![series(
            "rows",
            &[
                1098.0, 985.0, 1071.0, 1040.0, 1077.0, 1029.0, 1085.0, 1062.0, 1012.0, 1101.0,
                1003.0, 1012.0,
            ],
        )],
        orientation: Orientation::Vertical,
        value_format: ValueFormat::Integer,
    };
    let columns = [
        "transaction_id",
        "customer_id",
        "category",
        "item",
        "price_per_unit",
        "quantity",
        "total_spent",
        "payment_method",
        "location",
        "transaction_date",
        "discount_applied",
    ];
    let nulls = BarChart {
        title: "Nulls per column: after cast / after repairs".to_string(),
        value_label: "null values".to_string(),
        categories: strings(&columns),
        series: vec![
            series(
                "after cast",
                &[
                    0.0, 0.0, 0.0, 1213.0, 609.0, 604.0, 604.0, 0.0, 0.0, 0.0, 4199.0,
                ],
            ),
            series(
                "after repairs",
                &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4199.0],
            ),
        ],
        orientation: Orientation::Horizontal,
        value_format: ValueFormat::Integer,
    };

    let charts = [
        ("top-categories.svg", &top_categories),
        ("payment-method.svg", &payment),
        ("day-of-week.svg", &weekday),
        ("month.svg", &month),
        ("nulls.svg", &nulls),
    ];
    for (name, chart) in charts {
        fs::write(dir.join(name), chart.to_svg())?;
    }

    let show = "\
+--------------+---------------------------------+-------+
|payment_method|category                         |units  |
+--------------+---------------------------------+-------+
|Cash          |Furniture                        |7126   |
|Credit Card   |Electric household essentials    |6948   |
|Digital Wallet|Food                             |6902   |
+--------------+---------------------------------+-------+
only showing top 3 rows";

    let page = ReportPage {
        title: "Batch report: retail_store_sales.csv".to_string(),
        subtitle: Some("12,575 rows read · 12,575 rows written · 11 columns".to_string()),
        sections: vec![
            Section {
                heading: "Summary".to_string(),
                blocks: vec![
                    Block::Paragraph(
                        "Every row was read and written; missing prices, quantities and totals \
                         were repaired from the other two values where possible."
                            .to_string(),
                    ),
                    Block::Figures(vec![
                        ("Rows read".to_string(), "12,575".to_string()),
                        ("Rows written".to_string(), "12,575".to_string()),
                        ("Values repaired".to_string(), "3,030".to_string()),
                        ("Total spent".to_string(), "1,637,447.50".to_string()),
                    ]),
                ],
            },
            Section {
                heading: "Data quality".to_string(),
                blocks: vec![
                    Block::Chart {
                        svg: nulls.to_svg(),
                        caption: "discount_applied is left unknown where the source had no value."
                            .to_string(),
                    },
                    Block::Table(Table {
                        header: strings(&["column", "nulls after cast", "nulls after repairs"]),
                        rows: vec![
                            strings(&["item", "1,213", "0"]),
                            strings(&["price_per_unit", "609", "0"]),
                            strings(&["quantity", "604", "0"]),
                            strings(&["total_spent", "604", "0"]),
                            strings(&["discount_applied", "4,199", "4,199"]),
                        ],
                        numeric_columns: vec![1, 2],
                    }),
                ],
            },
            Section {
                heading: "Top categories by units".to_string(),
                blocks: vec![
                    Block::Chart {
                        svg: top_categories.to_svg(),
                        caption: "Units sold over the whole period, five largest categories."
                            .to_string(),
                    },
                    Block::Table(Table {
                        header: strings(&["category", "units", "revenue"]),
                        rows: vec![
                            strings(&["Furniture", "21,000", "214,871.50"]),
                            strings(&["Electric household essentials", "20,652", "211,440.00"]),
                            strings(&["Food", "20,431", "207,962.00"]),
                            strings(&[
                                "Computers and electric accessories",
                                "20,117",
                                "205,309.50",
                            ]),
                            strings(&["Milk Products", "19,904", "202,116.00"]),
                        ],
                        numeric_columns: vec![1, 2],
                    }),
                    Block::Preformatted(show.to_string()),
                ],
            },
            Section {
                heading: "Average spend by payment method".to_string(),
                blocks: vec![Block::Chart {
                    svg: payment.to_svg(),
                    caption: "Mean total_spent per transaction.".to_string(),
                }],
            },
            Section {
                heading: "Rows over time".to_string(),
                blocks: vec![
                    Block::Chart {
                        svg: weekday.to_svg(),
                        caption: "Transactions per day of week.".to_string(),
                    },
                    Block::Chart {
                        svg: month.to_svg(),
                        caption: "Transactions per calendar month, all years together.".to_string(),
                    },
                ],
            },
        ],
    };
    fs::write(dir.join("report.html"), page.to_html())?;
    println!("wrote {}", dir.join("report.html").display());
    Ok(())
}
