//! Column headers: any header style to snake_case, the columns the job requires, and the checks that a
//! header row can be used (no collisions after renaming, nothing missing, nothing clean would add).

use std::path::Path;

use crate::error::BatchError;

/// The columns every input must have, by their snake_case names, in the order of the retail file.
pub const REQUIRED_COLUMNS: [&str; 11] = [
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

/// The columns clean adds to its output.
pub const ADDED_COLUMNS: [&str; 2] = ["day_of_week", "transaction_month"];

/// Turns any header style into snake_case: trims, splits on whitespace, `-` and `_`, on lower-to-upper
/// camel boundaries (`totalSpent` → `total_spent`; a digit counts as lower case) and on acronym
/// boundaries (`HTTPServer` → `http_server`), then joins the lower-cased words with `_`.
/// `Price Per Unit` → `price_per_unit`, `TransactionID` → `transaction_id`,
/// `Discount-Applied` → `discount_applied`.
pub fn snake_case(header: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for chunk in header.split(|c: char| c.is_whitespace() || c == '-' || c == '_') {
        let chars: Vec<char> = chunk.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if i > 0 && c.is_uppercase() {
                let previous = chars[i - 1];
                let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
                let camel = previous.is_lowercase() || previous.is_ascii_digit();
                let acronym_end = previous.is_uppercase() && next_is_lower;
                if (camel || acronym_end) && !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            word.extend(c.to_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words.join("_")
}

/// The header row of an input, as written and as renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The headers as written in the file (trimmed of a byte-order mark only).
    pub original: Vec<String>,
    /// The snake_case names, in file order.
    pub names: Vec<String>,
}

impl Columns {
    /// Renames `headers` to snake_case and checks them: every required column present, no empty
    /// header, no two headers with the same name after renaming, no column that clean adds.
    pub fn from_headers(path: &Path, headers: Vec<String>) -> Result<Self, BatchError> {
        let names: Vec<String> = headers.iter().map(|h| snake_case(h)).collect();
        let missing: Vec<String> = REQUIRED_COLUMNS
            .iter()
            .filter(|required| !names.iter().any(|n| n == *required))
            .map(|required| required.to_string())
            .collect();
        if !missing.is_empty() {
            let looks_like_data = headers
                .iter()
                .any(|h| h.trim().parse::<f64>().is_ok() || h.contains('/'));
            let separated_by = match headers.as_slice() {
                [only] => [';', '\t', '|', ',']
                    .into_iter()
                    .find(|c| only.contains(*c)),
                _ => None,
            };
            return Err(BatchError::MissingColumns {
                path: path.to_path_buf(),
                missing,
                found: headers,
                looks_like_data,
                separated_by,
            });
        }
        for (index, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(BatchError::EmptyHeader {
                    path: path.to_path_buf(),
                    position: index + 1,
                });
            }
            if let Some(earlier) = names[..index].iter().position(|n| n == name) {
                return Err(BatchError::HeaderCollision {
                    first: headers[earlier].clone(),
                    first_position: earlier + 1,
                    second: headers[index].clone(),
                    second_position: index + 1,
                    name: name.clone(),
                });
            }
        }
        if let Some(added) = ADDED_COLUMNS
            .iter()
            .find(|added| names.iter().any(|n| n == *added))
        {
            return Err(BatchError::ReservedColumn {
                name: added.to_string(),
            });
        }
        Ok(Self {
            original: headers,
            names,
        })
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no columns (never true for a checked header row).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The columns that are not required: they pass through as text.
    pub fn extras(&self) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .map(String::as_str)
            .filter(|n| !REQUIRED_COLUMNS.contains(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_every_header_style() {
        let cases = [
            ("Price Per Unit", "price_per_unit"),
            ("TransactionID", "transaction_id"),
            ("totalSpent", "total_spent"),
            ("Discount-Applied", "discount_applied"),
            ("  Quantity  ", "quantity"),
            ("transaction_date", "transaction_date"),
            ("TRANSACTION_DATE", "transaction_date"),
            ("Customer  ID", "customer_id"),
            ("HTTPServerName", "http_server_name"),
            ("itemID2", "item_id2"),
            ("price2Unit", "price2_unit"),
            ("Payment__Method", "payment_method"),
            ("_location_", "location"),
            ("Category", "category"),
            ("ID", "id"),
            ("Übergröße", "übergröße"),
            ("notes (free text)", "notes_(free_text)"),
            ("", ""),
            ("   ", ""),
        ];
        for (header, expected) in cases {
            assert_eq!(snake_case(header), expected, "header {header:?}");
        }
    }

    fn kaggle_headers() -> Vec<String> {
        [
            "Transaction ID",
            "Customer ID",
            "Category",
            "Item",
            "Price Per Unit",
            "Quantity",
            "Total Spent",
            "Payment Method",
            "Location",
            "Transaction Date",
            "Discount Applied",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn kaggle_headers_rename_to_the_required_columns() {
        let columns = Columns::from_headers(Path::new("x.csv"), kaggle_headers()).unwrap();
        assert_eq!(columns.names, REQUIRED_COLUMNS.map(String::from).to_vec());
        assert_eq!(columns.extras().count(), 0);
    }

    #[test]
    fn extras_are_kept_in_order() {
        let mut headers = kaggle_headers();
        headers.insert(2, "Store Name".into());
        headers.push("Notes".into());
        let columns = Columns::from_headers(Path::new("x.csv"), headers).unwrap();
        assert_eq!(columns.names[2], "store_name");
        assert_eq!(
            columns.extras().collect::<Vec<_>>(),
            ["store_name", "notes"]
        );
    }

    #[test]
    fn collision_names_both_headers() {
        let mut headers = kaggle_headers();
        headers.push("price_per_unit".into());
        let error = Columns::from_headers(Path::new("x.csv"), headers).unwrap_err();
        assert_eq!(
            error.to_string(),
            "headers \"Price Per Unit\" (column 5) and \"price_per_unit\" (column 12) both become \"price_per_unit\"; rename one of them"
        );
    }

    #[test]
    fn missing_columns_lists_found_and_missing() {
        let headers: Vec<String> = kaggle_headers()
            .into_iter()
            .filter(|h| h != "Item" && h != "Quantity")
            .collect();
        let error = Columns::from_headers(Path::new("x.csv"), headers).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("x.csv: missing required column(s): item, quantity; found: Transaction ID, Customer ID, Category, Price Per Unit"), "{message}");
        assert!(!message.contains("is the first line a header"));
    }

    #[test]
    fn data_as_header_is_flagged() {
        let headers = "TXN_1,CUST_09,Food,Item_1_FOOD,5.0,1,5.0,Cash,Online,2024-01-01,True"
            .split(',')
            .map(String::from)
            .collect();
        let message = Columns::from_headers(Path::new("x.csv"), headers)
            .unwrap_err()
            .to_string();
        assert!(
            message.ends_with("(is the first line a header?)"),
            "{message}"
        );
    }

    #[test]
    fn empty_header_and_reserved_column_are_errors() {
        let mut headers = kaggle_headers();
        headers.push(" ".into());
        let error = Columns::from_headers(Path::new("x.csv"), headers).unwrap_err();
        assert_eq!(error.to_string(), "x.csv: the header of column 12 is empty");

        let mut headers = kaggle_headers();
        headers.push("Day Of Week".into());
        let error = Columns::from_headers(Path::new("x.csv"), headers).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("\"day_of_week\", which clean adds")
        );
    }
}
