//! A one-page HTML report: self-contained (inline CSS, inline SVG, no scripts, no external
//! resources), with a table of contents linking each section.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::escape::escape;

/// A report page: a title, an optional subtitle and its sections in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportPage {
    pub title: String,
    pub subtitle: Option<String>,
    pub sections: Vec<Section>,
}

/// A section with its own heading, listed in the page's table of contents.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Also gives the section's anchor: lowercased ASCII letters and digits joined by `-`, made
    /// unique on the page with a `-2`, `-3`… suffix (e.g. "Rows by day" → `#rows-by-day`).
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// One piece of a section. All text is escaped; only [`Block::Chart`]'s `svg` is inserted as
/// markup.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// One paragraph of plain text.
    Paragraph(String),
    /// Headline figures as `(label, value)` pairs, shown as a grid of small cards (a definition
    /// list).
    Figures(Vec<(String, String)>),
    Table(Table),
    /// A chart with a caption below it. `svg` must be trusted SVG, as made by
    /// [`crate::BarChart::to_svg`]: it is inlined unescaped. The root element's SVG namespace
    /// declaration is dropped on the way in, since HTML implies it, so that the page holds no URL.
    Chart {
        svg: String,
        caption: String,
    },
    /// Text shown verbatim in a monospaced, horizontally scrolling box, e.g. a console table.
    Preformatted(String),
}

/// A table with one header row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub header: Vec<String>,
    /// Rows shorter than the header are padded with empty cells.
    pub rows: Vec<Vec<String>>,
    /// Indices of the columns to right-align with tabular digits.
    pub numeric_columns: Vec<usize>,
}

const STYLE: &str = r#"
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --soft: #f6f8fa; --head: #eef1f4; --accent: #0a5aa8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #ffffff; color: var(--fg); font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; font-size: 16px; line-height: 1.5; }
.page { max-width: 1000px; margin: 0 auto; padding: 32px 24px 64px; }
header { border-bottom: 1px solid var(--border); padding-bottom: 16px; margin-bottom: 20px; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0; }
.subtitle { color: var(--muted); margin: 6px 0 0; }
nav.toc { background: var(--soft); border: 1px solid var(--border); border-radius: 8px; padding: 12px 18px; margin-bottom: 8px; }
nav.toc .toc-title { margin: 0 0 4px; font-size: .8rem; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--muted); }
nav.toc ol { margin: 0; padding-left: 1.4em; columns: 2 260px; column-gap: 32px; }
nav.toc li { break-inside: avoid; }
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
section { margin-top: 36px; }
h2 { font-size: 1.35rem; line-height: 1.3; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
p { margin: 12px 0; max-width: 75ch; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 16px 0; }
dl.figures div { border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; background: #ffffff; }
dl.figures dt { color: var(--muted); font-size: .85rem; }
dl.figures dd { margin: 2px 0 0; font-size: 1.3rem; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: break-word; }
.table-wrap { overflow-x: auto; margin: 16px 0; border: 1px solid var(--border); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: 7px 12px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--border); }
thead th { background: var(--head); font-weight: 600; }
tbody tr:nth-child(even) { background: var(--soft); }
tbody tr:last-child td { border-bottom: 0; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure.chart { margin: 20px 0; }
figure.chart svg { display: block; width: 100%; max-width: 100%; height: auto; border: 1px solid var(--border); border-radius: 8px; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: 6px; }
pre { margin: 16px 0; padding: 12px 14px; overflow-x: auto; background: var(--soft); border: 1px solid var(--border); border-radius: 8px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: .8rem; line-height: 1.4; }
@media print { .page { max-width: none; padding: 0; } nav.toc { display: none; } section, figure, .table-wrap { break-inside: avoid; } }
"#;

const SVG_NAMESPACE: &str = r#" xmlns="http://www.w3.org/2000/svg""#;

impl ReportPage {
    /// Renders the page as one self-contained HTML5 document.
    ///
    /// A Content-Security-Policy meta tag forbids everything but the inline styles, so the page
    /// can be opened from anywhere without fetching or running anything.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n",
        );
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(out, "<title>{}</title>", escape(&self.title));
        let _ = writeln!(out, "<style>{STYLE}</style>");
        out.push_str("</head>\n<body>\n<div class=\"page\">\n<header>\n");
        let _ = writeln!(out, "<h1>{}</h1>", escape(&self.title));
        if let Some(subtitle) = &self.subtitle {
            let _ = writeln!(out, "<p class=\"subtitle\">{}</p>", escape(subtitle));
        }
        out.push_str("</header>\n");

        let ids = section_ids(&self.sections);
        if !self.sections.is_empty() {
            out.push_str("<nav class=\"toc\" aria-label=\"Contents\">\n<p class=\"toc-title\">Contents</p>\n<ol>\n");
            for (section, id) in self.sections.iter().zip(&ids) {
                let _ = writeln!(
                    out,
                    "<li><a href=\"#{id}\">{}</a></li>",
                    escape(&section.heading)
                );
            }
            out.push_str("</ol>\n</nav>\n");
        }
        out.push_str("<main>\n");
        for (section, id) in self.sections.iter().zip(&ids) {
            let _ = writeln!(
                out,
                "<section id=\"{id}\">\n<h2>{}</h2>",
                escape(&section.heading)
            );
            for block in &section.blocks {
                block_html(&mut out, block);
            }
            out.push_str("</section>\n");
        }
        out.push_str("</main>\n</div>\n</body>\n</html>\n");
        out
    }
}

fn block_html(out: &mut String, block: &Block) {
    match block {
        Block::Paragraph(text) => {
            let _ = writeln!(out, "<p>{}</p>", escape(text));
        }
        Block::Figures(figures) => {
            out.push_str("<dl class=\"figures\">\n");
            for (label, value) in figures {
                let _ = writeln!(
                    out,
                    "<div><dt>{}</dt><dd>{}</dd></div>",
                    escape(label),
                    escape(value)
                );
            }
            out.push_str("</dl>\n");
        }
        Block::Table(table) => table_html(out, table),
        Block::Chart { svg, caption } => {
            out.push_str("<figure class=\"chart\">\n");
            out.push_str(&inline_svg(svg));
            if !svg.ends_with('\n') {
                out.push('\n');
            }
            if !caption.is_empty() {
                let _ = writeln!(out, "<figcaption>{}</figcaption>", escape(caption));
            }
            out.push_str("</figure>\n");
        }
        Block::Preformatted(text) => {
            let _ = writeln!(out, "<pre>{}</pre>", escape(text));
        }
    }
}

fn table_html(out: &mut String, table: &Table) {
    let class = |column: usize| {
        if table.numeric_columns.contains(&column) {
            " class=\"num\""
        } else {
            ""
        }
    };
    out.push_str("<div class=\"table-wrap\">\n<table>\n");
    if !table.header.is_empty() {
        out.push_str("<thead>\n<tr>");
        for (i, cell) in table.header.iter().enumerate() {
            let _ = write!(out, "<th scope=\"col\"{}>{}</th>", class(i), escape(cell));
        }
        out.push_str("</tr>\n</thead>\n");
    }
    out.push_str("<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for i in 0..row.len().max(table.header.len()) {
            let cell = row.get(i).map_or("", String::as_str);
            let _ = write!(out, "<td{}>{}</td>", class(i), escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

/// Drops the namespace declaration from the root `<svg …>` tag; the rest is kept byte for byte.
fn inline_svg(svg: &str) -> String {
    let tag_end = svg.find('>').unwrap_or(0);
    match svg[..tag_end].find(SVG_NAMESPACE) {
        Some(at) if svg.trim_start().starts_with("<svg") => {
            format!("{}{}", &svg[..at], &svg[at + SVG_NAMESPACE.len()..])
        }
        _ => svg.to_string(),
    }
}

/// Lowercase ASCII letters and digits of `heading`, every other run of characters becoming one
/// `-`; `section` when nothing is left.
fn slug(heading: &str) -> String {
    let mut slug = String::with_capacity(heading.len());
    for ch in heading.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        slug.push_str("section");
    }
    slug
}

fn section_ids(sections: &[Section]) -> Vec<String> {
    let mut taken = HashSet::new();
    sections
        .iter()
        .map(|section| {
            let base = slug(&section.heading);
            let mut id = base.clone();
            let mut n = 2;
            while !taken.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            id
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BarChart, Series};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn chart() -> BarChart {
        BarChart {
            title: "Rows by day of week".to_string(),
            value_label: "rows".to_string(),
            categories: strings(&["Mon", "Tue", "Wed"]),
            series: vec![Series {
                name: "rows".to_string(),
                values: vec![Some(1790.0), Some(1802.0), Some(1766.0)],
            }],
            ..BarChart::default()
        }
    }

    fn page() -> ReportPage {
        ReportPage {
            title: "Batch report".to_string(),
            subtitle: Some("retail_store_sales.csv · 12,575 rows".to_string()),
            sections: vec![
                Section {
                    heading: "Summary".to_string(),
                    blocks: vec![
                        Block::Paragraph("All rows were read.".to_string()),
                        Block::Figures(vec![
                            ("Rows read".to_string(), "12,575".to_string()),
                            ("Rows written".to_string(), "12,575".to_string()),
                        ]),
                    ],
                },
                Section {
                    heading: "Top categories by units".to_string(),
                    blocks: vec![Block::Table(Table {
                        header: strings(&["category", "units", "revenue"]),
                        rows: vec![
                            strings(&["Furniture", "21,000", "2,310,500.00"]),
                            strings(&["Food", "20,700"]),
                        ],
                        numeric_columns: vec![1, 2],
                    })],
                },
                Section {
                    heading: "Rows by day of week".to_string(),
                    blocks: vec![
                        Block::Chart {
                            svg: chart().to_svg(),
                            caption: "Rows per weekday".to_string(),
                        },
                        Block::Preformatted("+---+\n| a |\n+---+".to_string()),
                    ],
                },
                Section {
                    heading: "Summary".to_string(),
                    blocks: vec![],
                },
            ],
        }
    }

    #[test]
    fn document_head() {
        let html = page().to_html();
        assert!(html.starts_with(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        ));
        assert!(
            html.contains(
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            )
        );
        assert!(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"));
        assert!(html.contains("<title>Batch report</title>"));
        assert_eq!(html.matches("<style>").count(), 1);
        assert!(html.ends_with("</html>\n"));
    }

    #[test]
    fn sections_have_anchors_and_a_table_of_contents() {
        let html = page().to_html();
        for (id, heading) in [
            ("summary", "Summary"),
            ("top-categories-by-units", "Top categories by units"),
            ("rows-by-day-of-week", "Rows by day of week"),
            ("summary-2", "Summary"),
        ] {
            assert!(html.contains(&format!("<li><a href=\"#{id}\">{heading}</a></li>")));
            assert!(html.contains(&format!("<section id=\"{id}\">\n<h2>{heading}</h2>")));
        }
        assert!(html.find("<nav") < html.find("<main>"));
    }

    #[test]
    fn numeric_columns_are_right_aligned() {
        let html = page().to_html();
        assert!(html.contains(
            "<tr><th scope=\"col\">category</th><th scope=\"col\" class=\"num\">units</th><th scope=\"col\" class=\"num\">revenue</th></tr>"
        ));
        assert!(html.contains(
            "<tr><td>Furniture</td><td class=\"num\">21,000</td><td class=\"num\">2,310,500.00</td></tr>"
        ));
        assert!(html.contains(
            "<tr><td>Food</td><td class=\"num\">20,700</td><td class=\"num\"></td></tr>"
        ));
        assert!(html.contains("th.num, td.num { text-align: right;"));
    }

    #[test]
    fn blocks_render() {
        let html = page().to_html();
        assert!(html.contains("<p>All rows were read.</p>"));
        assert!(html.contains("<div><dt>Rows read</dt><dd>12,575</dd></div>"));
        assert!(html.contains("<pre>+---+\n| a |\n+---+</pre>"));
        assert!(html.contains("<figcaption>Rows per weekday</figcaption>"));
        assert!(html.contains("<p class=\"subtitle\">retail_store_sales.csv · 12,575 rows</p>"));
    }

    #[test]
    fn charts_are_inlined_without_namespace_url() {
        let svg = chart().to_svg();
        let html = page().to_html();
        let inlined = svg.replacen(SVG_NAMESPACE, "", 1);
        assert!(inlined.starts_with("<svg width=\"640\""));
        assert!(html.contains(&inlined));
        assert_eq!(html.matches("<svg").count(), 1);
    }

    #[test]
    fn nothing_external() {
        let html = page().to_html();
        for banned in [
            "http://", "https://", "src=", "<link", "<script", "url(", "@import",
        ] {
            assert!(!html.contains(banned), "found {banned}");
        }
    }

    #[test]
    fn hostile_text_is_escaped() {
        let hostile = "<script>alert(1)</script>";
        let attribute = "\"><img onerror=x>";
        let html = ReportPage {
            title: hostile.to_string(),
            subtitle: Some(attribute.to_string()),
            sections: vec![Section {
                heading: hostile.to_string(),
                blocks: vec![
                    Block::Paragraph(hostile.to_string()),
                    Block::Figures(vec![(hostile.to_string(), attribute.to_string())]),
                    Block::Table(Table {
                        header: strings(&[hostile]),
                        rows: vec![strings(&[attribute])],
                        numeric_columns: vec![],
                    }),
                    Block::Chart {
                        svg: BarChart {
                            title: hostile.to_string(),
                            categories: strings(&[hostile]),
                            series: vec![Series {
                                name: hostile.to_string(),
                                values: vec![Some(1.0)],
                            }],
                            ..BarChart::default()
                        }
                        .to_svg(),
                        caption: hostile.to_string(),
                    },
                    Block::Preformatted(hostile.to_string()),
                ],
            }],
        }
        .to_html();
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;img onerror=x&gt;"));
        assert!(html.contains("<section id=\"script-alert-1-script\">"));
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Nulls per column: after cast / after repairs"),
            "nulls-per-column-after-cast-after-repairs"
        );
        assert_eq!(slug("  Übersicht 2024 "), "bersicht-2024");
        assert_eq!(slug("—"), "section");
        let sections: Vec<Section> = ["A", "a", "a-2", "A"]
            .iter()
            .map(|h| Section {
                heading: h.to_string(),
                blocks: vec![],
            })
            .collect();
        assert_eq!(section_ids(&sections), ["a", "a-2", "a-2-2", "a-3"]);
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(page().to_html(), page().to_html());
    }

    #[test]
    fn empty_page_is_valid() {
        let html = ReportPage::default().to_html();
        assert!(html.contains("<title></title>"));
        assert!(!html.contains("<nav"));
        assert!(html.contains("<main>\n</main>"));
    }
}
