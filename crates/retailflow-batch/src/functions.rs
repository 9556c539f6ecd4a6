//! retailflow's scalar functions as plain values: what each one carries (the value rules, a date
//! format or the formats tried, the catalog) written to bytes and read back, so that a plan using
//! them can travel to a Ballista scheduler and its executors and be rebuilt there with the same
//! data. A function is rebuilt from its name (which picks the kernel) and what it carried.

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::ScalarUDF;
use retailflow_core::values::ValueRules;
use serde::{Deserialize, Serialize};

use crate::cast::CastFunctions;
use crate::catalog::Catalog;
use crate::dates::{self, DateFormat};
use crate::features::FeatureFunctions;
use crate::repair::{self, RepairFunctions};
use crate::udf;

/// What a function carries, as written. Doubles travel as their bits, so they come back exact.
#[derive(Debug, Serialize, Deserialize)]
enum Carried {
    /// A plain kernel.
    Nothing,
    /// A kernel under value rules.
    Rules { max_quantity: i64, max_price: u64 },
    /// `rf_parse_date`'s format, as strftime.
    Format(String),
    /// `rf_date_format_mask`'s formats, as strftime.
    Formats(Vec<String>),
    /// `rf_repair_item`'s catalog rows: category, item, price.
    Catalog(Vec<(String, String, u64)>),
}

/// What `function` carries, as bytes; `None` when it is not one of retailflow's functions.
pub fn encode_function(function: &ScalarUDF) -> Option<Vec<u8>> {
    let carried = if let Some(rules) = udf::carried_rules(function) {
        match rules {
            Some(rules) => Carried::Rules {
                max_quantity: rules.max_quantity,
                max_price: rules.max_price.to_bits(),
            },
            None => Carried::Nothing,
        }
    } else if let Some(format) = dates::carried_format(function) {
        Carried::Format(format.strftime().to_string())
    } else if let Some(formats) = dates::carried_formats(function) {
        Carried::Formats(formats.iter().map(|f| f.strftime().to_string()).collect())
    } else if let Some(catalog) = repair::carried_catalog(function) {
        Carried::Catalog(
            catalog
                .entries()
                .iter()
                .map(|e| (e.category.clone(), e.item.clone(), e.price.to_bits()))
                .collect(),
        )
    } else {
        return None;
    };
    serde_json::to_vec(&carried).ok()
}

/// The function named `name` rebuilt from what [`encode_function`] wrote for it; `None` when the
/// name is not one of retailflow's functions, an error when the bytes do not fit the name.
pub fn decode_function(name: &str, bytes: &[u8]) -> Result<Option<ScalarUDF>> {
    let carried: Carried = serde_json::from_slice(bytes).map_err(|e| {
        DataFusionError::Internal(format!("function {name}: unreadable definition: {e}"))
    })?;
    let format = |text: &str| {
        DateFormat::from_user(text).map_err(|e| {
            DataFusionError::Internal(format!("function {name}: unusable date format: {e}"))
        })
    };
    let by_name = |rules: ValueRules| {
        let casts = CastFunctions::new(DateFormat::IsoDate, rules);
        let repairs = RepairFunctions::new(Arc::new(Catalog::default()), rules);
        let features = FeatureFunctions::default();
        casts
            .functions()
            .chain(repairs.functions())
            .chain(features.functions())
            .find(|function| function.name() == name)
            .cloned()
    };
    let rebuilt = match carried {
        Carried::Nothing => by_name(ValueRules::default()),
        Carried::Rules {
            max_quantity,
            max_price,
        } => by_name(ValueRules {
            max_quantity,
            max_price: f64::from_bits(max_price),
        }),
        Carried::Format(text) => Some(dates::parse_function(format(&text)?)),
        Carried::Formats(texts) => Some(dates::format_mask_function(
            texts
                .iter()
                .map(|text| format(text))
                .collect::<Result<_>>()?,
        )),
        Carried::Catalog(rows) => {
            let catalog = Catalog::from_rows(
                rows.into_iter()
                    .map(|(category, item, price)| (category, item, f64::from_bits(price))),
            );
            let repairs = RepairFunctions::new(Arc::new(catalog), ValueRules::default());
            let [.., item] = repairs.functions();
            Some(item.clone())
        }
    };
    match rebuilt {
        Some(function) if function.name() == name => Ok(Some(function)),
        Some(function) => Err(DataFusionError::Internal(format!(
            "function {name}: the definition is one of {}",
            function.name()
        ))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan;
    use datafusion::arrow::array::{Array, ArrayRef, Date32Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field};
    use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

    fn job_functions() -> Vec<ScalarUDF> {
        let catalog = Catalog::from_rows([
            ("Food".to_string(), "Item_1_FOOD".to_string(), 5.0),
            ("Milk".to_string(), "Item_7_MILK".to_string(), 0.1 + 0.2),
        ]);
        let rules = ValueRules {
            max_quantity: 77,
            max_price: 1234.5,
        };
        let functions = plan::job_functions(DateFormat::DaySlashMonth, Arc::new(catalog), rules);
        let mut all: Vec<ScalarUDF> = functions
            .casts
            .functions()
            .chain(functions.repairs.functions())
            .chain(functions.features.functions())
            .cloned()
            .collect();
        all.push(dates::format_mask_function(vec![
            DateFormat::IsoDate,
            DateFormat::Custom("%Y/%m/%d".into()),
        ]));
        all
    }

    #[test]
    fn every_job_function_comes_back_equal_with_what_it_carries() {
        let all = job_functions();
        assert_eq!(all.len(), 18);
        for function in &all {
            let bytes = encode_function(function)
                .unwrap_or_else(|| panic!("{} not encoded", function.name()));
            let back = decode_function(function.name(), &bytes)
                .unwrap()
                .unwrap_or_else(|| panic!("{} not decoded", function.name()));
            assert_eq!(&back, function, "{}", function.name());
        }
        let catalog = all.iter().find(|f| f.name() == "rf_repair_item").unwrap();
        let back = decode_function("rf_repair_item", &encode_function(catalog).unwrap())
            .unwrap()
            .unwrap();
        let entries = repair::carried_catalog(&back).unwrap().entries();
        assert_eq!(entries[1].item, "Item_7_MILK");
        assert_eq!(entries[1].price.to_bits(), (0.1f64 + 0.2).to_bits());
    }

    #[test]
    fn a_rebuilt_date_function_parses_in_its_format() {
        let parse = dates::parse_function(DateFormat::DaySlashMonth);
        let back = decode_function("rf_parse_date", &encode_function(&parse).unwrap())
            .unwrap()
            .unwrap();
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("8/4/2024"), Some("junk")]));
        let args = ScalarFunctionArgs {
            args: vec![ColumnarValue::Array(text)],
            arg_fields: vec![Arc::new(Field::new("t", DataType::Utf8, true))],
            number_rows: 2,
            return_field: Arc::new(Field::new("d", DataType::Date32, true)),
            config_options: Arc::default(),
        };
        let ColumnarValue::Array(out) = back.invoke_with_args(args).unwrap() else {
            panic!("not an array");
        };
        let dates = out.as_any().downcast_ref::<Date32Array>().unwrap();
        assert_eq!(dates.value_as_date(0).unwrap().to_string(), "2024-04-08");
        assert!(dates.is_null(1));
    }

    #[test]
    fn other_functions_and_mismatched_definitions_are_told_apart() {
        let other = datafusion::logical_expr::create_udf(
            "other",
            vec![DataType::Utf8],
            DataType::Utf8,
            datafusion::logical_expr::Volatility::Immutable,
            Arc::new(|args: &[ColumnarValue]| Ok(args[0].clone())),
        );
        assert!(encode_function(&other).is_none());
        let nothing = serde_json::to_vec(&Carried::Nothing).unwrap();
        assert!(decode_function("upper", &nothing).unwrap().is_none());
        let format = serde_json::to_vec(&Carried::Format("%Y-%m-%d".into())).unwrap();
        assert!(decode_function("rf_text", &format).is_err());
        assert!(decode_function("rf_text", b"not json").is_err());
    }
}
