//! Charts and a one-page HTML report for retailflow batch reports, rendered from plain typed values
//! with nothing but the standard library.
//!
//! - [`BarChart`] renders simple or grouped bar charts to standalone SVG.
//! - [`ReportPage`] renders one self-contained HTML page (inline CSS, inlined SVG charts, no scripts
//!   and no external resources) with sections of paragraphs, figures, tables, charts and
//!   preformatted text.
//!
//! Output is deterministic: the same input always gives the same bytes.
//!
//! ```
//! use retailflow_charts::{BarChart, Block, Orientation, ReportPage, Section, Series, ValueFormat};
//!
//! let chart = BarChart {
//!     title: "Average spend by payment method".to_string(),
//!     value_label: "average spend".to_string(),
//!     categories: vec!["Cash".to_string(), "Credit Card".to_string()],
//!     series: vec![Series { name: "average spend".to_string(), values: vec![Some(130.2), None] }],
//!     orientation: Orientation::Vertical,
//!     value_format: ValueFormat::Decimal(1),
//! };
//! let page = ReportPage {
//!     title: "Batch report".to_string(),
//!     subtitle: None,
//!     sections: vec![Section {
//!         heading: "Payment methods".to_string(),
//!         blocks: vec![Block::Chart { svg: chart.to_svg(), caption: String::new() }],
//!     }],
//! };
//! let html = page.to_html();
//! assert!(html.contains(">130.2<") && html.contains(">n/a<"));
//! ```

mod bar;
mod escape;
mod format;
mod page;
mod scale;

pub use bar::{BarChart, Orientation, Series, ValueFormat};
pub use format::format_number;
pub use page::{Block, ReportPage, Section, Table};
