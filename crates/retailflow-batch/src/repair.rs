//! Repairs of a row's missing values, applied in order and repeated until the row no longer changes:
//!
//! 1. total_spent null, quantity and price present → total_spent = quantity × price (not rounded);
//! 2. quantity null, total and price present, price ≠ 0 → quantity = total / price when that is a
//!    whole number within 1e-9;
//! 3. price null, total and quantity present, quantity ≠ 0 → price = round(total / quantity, 2);
//!
//! A value rules 1–3 derive is kept only when it passes the value rules too
//! ([`retailflow_core::values`]); within them quantity × price is always a valid total.
//! 4. item null, category and price present → the catalog's item for (category, price), when the key
//!    is not ambiguous.
//!
//! One round reaches the fixed point: rules 1–3 each need the other two values present, so a value
//! one of them fills is never an input another one lacked, and rule 4 runs after rule 3 has restored
//! the price. The same reasoning lets the vectorised plan compute rules 1–3 from the cast values side by
//! side, and rule 4 from the repaired price; a test checks the plan against [`repair_row`].

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray, StringBuilder,
};
use datafusion::arrow::buffer::{BooleanBuffer, NullBuffer};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use retailflow_core::values::ValueRules;

use crate::cast::whole_number;
use crate::catalog::Catalog;
use crate::rounding::round2;
use crate::udf::{array_function, columns_of, rules_function};

/// How close to a whole number `total / price` must be to restore a quantity.
pub const QUANTITY_TOLERANCE: f64 = 1e-9;

/// Rule 1: the total of `quantity` units at `price`, when it passes the rules.
pub fn total_from(quantity: i64, price: f64, rules: &ValueRules) -> Option<f64> {
    rules.total(quantity as f64 * price).ok()
}

/// Rule 2: the quantity that `total` buys at `price`, when it is a whole number that passes the
/// rules.
pub fn quantity_from(total: f64, price: f64, rules: &ValueRules) -> Option<i64> {
    if price == 0.0 {
        return None;
    }
    let quantity = total / price;
    let whole = quantity.round();
    if (quantity - whole).abs() <= QUANTITY_TOLERANCE {
        rules.quantity(whole_number(whole)?).ok()
    } else {
        None
    }
}

/// Rule 3: the unit price of `quantity` units costing `total`, rounded to 2 decimals, when it
/// passes the rules.
pub fn price_from(total: f64, quantity: i64, rules: &ValueRules) -> Option<f64> {
    if quantity == 0 {
        return None;
    }
    rules.price(round2(total / quantity as f64)).ok()
}

/// The values of one row that the repairs read and write.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RepairRow {
    /// category
    pub category: Option<String>,
    /// item
    pub item: Option<String>,
    /// price_per_unit
    pub price: Option<f64>,
    /// quantity
    pub quantity: Option<i64>,
    /// total_spent
    pub total: Option<f64>,
}

/// Which columns of a row the repairs filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Restored {
    /// item was filled from the catalog.
    pub item: bool,
    /// total_spent was computed.
    pub total_spent: bool,
    /// quantity was computed.
    pub quantity: bool,
    /// price_per_unit was computed.
    pub price_per_unit: bool,
}

/// Applies the rules in order, round after round, until the row no longer changes; returns which
/// columns went from null to a value. The reference for the vectorised plan.
pub fn repair_row(row: &mut RepairRow, catalog: &Catalog, rules: &ValueRules) -> Restored {
    let mut restored = Restored::default();
    while repair_round(row, catalog, rules, &mut restored) {}
    restored
}

/// One round of the four rules in order; returns whether the row changed.
pub fn repair_round(
    row: &mut RepairRow,
    catalog: &Catalog,
    rules: &ValueRules,
    restored: &mut Restored,
) -> bool {
    let mut changed = false;
    if let (None, Some(quantity), Some(price)) = (row.total, row.quantity, row.price)
        && let Some(total) = total_from(quantity, price, rules)
    {
        row.total = Some(total);
        restored.total_spent = true;
        changed = true;
    }
    if let (None, Some(total), Some(price)) = (row.quantity, row.total, row.price)
        && let Some(quantity) = quantity_from(total, price, rules)
    {
        row.quantity = Some(quantity);
        restored.quantity = true;
        changed = true;
    }
    if let (None, Some(total), Some(quantity)) = (row.price, row.total, row.quantity)
        && let Some(price) = price_from(total, quantity, rules)
    {
        row.price = Some(price);
        restored.price_per_unit = true;
        changed = true;
    }
    if let (None, Some(category), Some(price)) = (&row.item, &row.category, row.price)
        && let Some(item) = catalog.item_for(category, price)
    {
        row.item = Some(item.to_string());
        restored.item = true;
        changed = true;
    }
    changed
}

fn floats(column: &ArrayRef) -> Result<&Float64Array> {
    column
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| exec_datafusion_err!("expected Float64, got {}", column.data_type()))
}

fn integers(column: &ArrayRef) -> Result<&Int64Array> {
    column
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| exec_datafusion_err!("expected Int64, got {}", column.data_type()))
}

/// `rf_dropped(category, quantity, total, price)`: whether any of them is still missing after the
/// repairs, which drops the row. One function rather than four null tests joined by `OR`, so the
/// optimizer keeps the whole test in one filter instead of pushing the category's part below the
/// casts, which would filter (and copy) every row twice.
fn dropped_kernel(columns: &[ArrayRef]) -> Result<ArrayRef> {
    let rows = columns.first().map_or(0, |column| column.len());
    let present = columns
        .iter()
        .fold(None, |present: Option<NullBuffer>, column| {
            NullBuffer::union(present.as_ref(), column.logical_nulls().as_ref())
        });
    let dropped = match present {
        Some(present) => !present.inner(),
        None => BooleanBuffer::new_unset(rows),
    };
    Ok(Arc::new(BooleanArray::new(dropped, None)))
}

/// `rf_repair_total(total, quantity, price)`: rule 1.
fn total_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    let (total, quantity, price) = (
        floats(&columns[0])?,
        integers(&columns[1])?,
        floats(&columns[2])?,
    );
    if total.null_count() == 0 {
        return Ok(Arc::clone(&columns[0]));
    }
    let out: Float64Array = (0..total.len())
        .map(
            |i| match (total.is_valid(i), quantity.is_valid(i), price.is_valid(i)) {
                (true, _, _) => Some(total.value(i)),
                (false, true, true) => total_from(quantity.value(i), price.value(i), rules),
                _ => None,
            },
        )
        .collect();
    Ok(Arc::new(out))
}

/// `rf_repair_quantity(quantity, total, price)`: rule 2.
fn quantity_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    let (quantity, total, price) = (
        integers(&columns[0])?,
        floats(&columns[1])?,
        floats(&columns[2])?,
    );
    if quantity.null_count() == 0 {
        return Ok(Arc::clone(&columns[0]));
    }
    let out: Int64Array = (0..quantity.len())
        .map(
            |i| match (quantity.is_valid(i), total.is_valid(i), price.is_valid(i)) {
                (true, _, _) => Some(quantity.value(i)),
                (false, true, true) => quantity_from(total.value(i), price.value(i), rules),
                _ => None,
            },
        )
        .collect();
    Ok(Arc::new(out))
}

/// `rf_repair_price(price, total, quantity)`: rule 3.
fn price_kernel(columns: &[ArrayRef], rules: &ValueRules) -> Result<ArrayRef> {
    let (price, total, quantity) = (
        floats(&columns[0])?,
        floats(&columns[1])?,
        integers(&columns[2])?,
    );
    if price.null_count() == 0 {
        return Ok(Arc::clone(&columns[0]));
    }
    let out: Float64Array = (0..price.len())
        .map(
            |i| match (price.is_valid(i), total.is_valid(i), quantity.is_valid(i)) {
                (true, _, _) => Some(price.value(i)),
                (false, true, true) => price_from(total.value(i), quantity.value(i), rules),
                _ => None,
            },
        )
        .collect();
    Ok(Arc::new(out))
}

/// `rf_repair_item(item, category, price)`: rule 4, with the job's catalog.
#[derive(Debug)]
struct RepairItem {
    catalog: Arc<Catalog>,
    signature: Signature,
}

/// Equal when their catalogs hold the same rows (a rebuilt function equals the one sent); hashed
/// by the number of rows, which equal catalogs share, so hashing never walks the catalog.
impl PartialEq for RepairItem {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.catalog, &other.catalog)
            || self.catalog.entries() == other.catalog.entries()
    }
}

impl Eq for RepairItem {}

impl Hash for RepairItem {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.catalog.len().hash(state);
    }
}

impl ScalarUDFImpl for RepairItem {
    fn name(&self) -> &str {
        "rf_repair_item"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let columns = columns_of(&args)?;
        let item = columns[0]
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| exec_datafusion_err!("expected Utf8 item"))?;
        if item.null_count() == 0 {
            return Ok(ColumnarValue::Array(Arc::clone(&columns[0])));
        }
        let category = columns[1]
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| exec_datafusion_err!("expected Utf8 category"))?;
        let price = floats(&columns[2])?;
        let mut out = StringBuilder::with_capacity(item.len(), item.value_data().len());
        for i in 0..item.len() {
            if item.is_valid(i) {
                out.append_value(item.value(i));
            } else if category.is_valid(i) && price.is_valid(i) {
                out.append_option(self.catalog.item_for(category.value(i), price.value(i)));
            } else {
                out.append_null();
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The catalog `function` carries, when it is `rf_repair_item`.
pub(crate) fn carried_catalog(function: &ScalarUDF) -> Option<&Catalog> {
    let inner: &dyn std::any::Any = function.inner().as_ref();
    inner
        .downcast_ref::<RepairItem>()
        .map(|repair| repair.catalog.as_ref())
}

/// The repair functions of one job.
#[derive(Debug, Clone)]
pub struct RepairFunctions {
    total: ScalarUDF,
    quantity: ScalarUDF,
    price: ScalarUDF,
    dropped: ScalarUDF,
    item: ScalarUDF,
}

impl RepairFunctions {
    /// The repair functions, filling items from `catalog` and keeping derived values that pass
    /// `rules`.
    pub fn new(catalog: Arc<Catalog>, rules: ValueRules) -> Self {
        use DataType::{Float64, Int64, Utf8};
        // The arithmetic repairs decide which rows are dropped. They are declared volatile because
        // that is what keeps DataFusion's optimizer from pushing the drop filter below the
        // projection that computes them: pushed below, the filter would compute them, and every
        // cast under them, for each row, and the projection again for each row kept. They are
        // deterministic all the same.
        let arithmetic = |name, inputs, output, kernel| {
            rules_function(name, inputs, output, rules, kernel, Volatility::Volatile)
        };
        Self {
            total: arithmetic(
                "rf_repair_total",
                vec![Float64, Int64, Float64],
                Float64,
                total_kernel,
            ),
            quantity: arithmetic(
                "rf_repair_quantity",
                vec![Int64, Float64, Float64],
                Int64,
                quantity_kernel,
            ),
            price: arithmetic(
                "rf_repair_price",
                vec![Float64, Float64, Int64],
                Float64,
                price_kernel,
            ),
            dropped: array_function(
                "rf_dropped",
                vec![Utf8, Int64, Float64, Float64],
                DataType::Boolean,
                dropped_kernel,
            ),
            item: ScalarUDF::new_from_impl(RepairItem {
                catalog,
                signature: Signature::exact(vec![Utf8, Utf8, Float64], Volatility::Immutable),
            }),
        }
    }

    /// Every function, for rebuilding one by name.
    pub(crate) fn functions(&self) -> [&ScalarUDF; 5] {
        [
            &self.total,
            &self.quantity,
            &self.price,
            &self.dropped,
            &self.item,
        ]
    }

    /// Rule 1 over cast columns.
    pub fn total(&self, total: Expr, quantity: Expr, price: Expr) -> Expr {
        self.total.call(vec![total, quantity, price])
    }

    /// Rule 2 over cast columns.
    pub fn quantity(&self, quantity: Expr, total: Expr, price: Expr) -> Expr {
        self.quantity.call(vec![quantity, total, price])
    }

    /// Rule 3 over cast columns.
    pub fn price(&self, price: Expr, total: Expr, quantity: Expr) -> Expr {
        self.price.call(vec![price, total, quantity])
    }

    /// True for a row still missing category, quantity, total_spent or price_per_unit after the
    /// repairs.
    pub fn dropped(&self, category: Expr, quantity: Expr, total: Expr, price: Expr) -> Expr {
        self.dropped.call(vec![category, quantity, total, price])
    }

    /// Rule 4 over the cast item and category and the repaired price.
    pub fn item(&self, item: Expr, category: Expr, repaired_price: Expr) -> Expr {
        self.item.call(vec![item, category, repaired_price])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: ValueRules = ValueRules {
        max_quantity: ValueRules::DEFAULT_MAX_QUANTITY,
        max_price: ValueRules::DEFAULT_MAX_PRICE,
    };

    fn catalog() -> Catalog {
        Catalog::from_rows([
            ("Food".to_string(), "Item_2_FOOD".to_string(), 6.5),
            ("Food".to_string(), "Item_9_FOOD".to_string(), 17.0),
            ("Food".to_string(), "Item_9b_FOOD".to_string(), 17.0),
        ])
    }

    fn row(
        item: Option<&str>,
        price: Option<f64>,
        quantity: Option<i64>,
        total: Option<f64>,
    ) -> RepairRow {
        RepairRow {
            category: Some("Food".into()),
            item: item.map(String::from),
            price,
            quantity,
            total,
        }
    }

    #[test]
    fn rule_1_total_from_quantity_and_price() {
        let mut r = row(Some("Item_2_FOOD"), Some(6.5), Some(3), None);
        let restored = repair_row(&mut r, &catalog(), &RULES);
        assert_eq!(r.total, Some(19.5));
        assert_eq!(
            restored,
            Restored {
                total_spent: true,
                ..Restored::default()
            }
        );
    }

    #[test]
    fn rule_2_quantity_only_when_whole() {
        let mut r = row(Some("Item_2_FOOD"), Some(6.5), None, Some(19.5));
        assert!(repair_row(&mut r, &catalog(), &RULES).quantity);
        assert_eq!(r.quantity, Some(3));

        let mut r = row(Some("Item_2_FOOD"), Some(6.5), None, Some(20.0));
        assert!(!repair_row(&mut r, &catalog(), &RULES).quantity);
        assert_eq!(r.quantity, None);

        let mut r = row(Some("Item_2_FOOD"), Some(0.0), None, Some(20.0));
        assert_eq!(repair_row(&mut r, &catalog(), &RULES), Restored::default());

        // within the 1e-9 tolerance: 0.1 × 3 is 0.30000000000000004
        assert_eq!(quantity_from(0.1 * 3.0, 0.1, &RULES), Some(3));
        assert_eq!(quantity_from(0.3 + 1e-6, 0.1, &RULES), None);
    }

    #[test]
    fn rule_3_price_rounded_to_cents() {
        let mut r = row(Some("Item_2_FOOD"), None, Some(3), Some(20.0));
        assert!(repair_row(&mut r, &catalog(), &RULES).price_per_unit);
        assert_eq!(r.price, Some(6.67));
        assert_eq!(price_from(20.0, 0, &RULES), None);
        assert_eq!(price_from(0.375, 3, &RULES), Some(0.13)); // 0.125 rounds away from zero
    }

    #[test]
    fn derived_values_outside_the_rules_are_not_restored() {
        let rules = ValueRules::new(10, 100.0).unwrap();
        // 60 / 5 = 12 units, over the maximum of 10.
        assert_eq!(quantity_from(60.0, 5.0, &rules), None);
        assert_eq!(quantity_from(50.0, 5.0, &rules), Some(10));
        // 2000 / 10 = 200 a unit, over the maximum price of 100.
        assert_eq!(price_from(2000.0, 10, &rules), None);
        // A negative total gives no positive quantity nor price.
        assert_eq!(quantity_from(-30.0, 10.0, &RULES), None);
        assert_eq!(price_from(-30.0, 3, &RULES), None);
        let mut r = row(Some("Item_2_FOOD"), Some(100.0), Some(10), None);
        assert!(repair_row(&mut r, &catalog(), &rules).total_spent);
        assert_eq!(r.total, Some(1000.0));
    }

    #[test]
    fn rule_4_item_from_catalog_unless_ambiguous() {
        let mut r = row(None, Some(6.5), Some(3), Some(19.5));
        assert!(repair_row(&mut r, &catalog(), &RULES).item);
        assert_eq!(r.item.as_deref(), Some("Item_2_FOOD"));

        let mut r = row(None, Some(17.0), Some(1), Some(17.0));
        assert!(!repair_row(&mut r, &catalog(), &RULES).item);
        assert_eq!(r.item, None);

        let mut r = row(None, Some(6.5), Some(1), Some(6.5));
        r.category = None;
        assert!(!repair_row(&mut r, &catalog(), &RULES).item);
    }

    #[test]
    fn item_restored_after_its_price_in_the_same_repair() {
        let mut r = row(None, None, Some(2), Some(13.0));
        let restored = repair_row(&mut r, &catalog(), &RULES);
        assert_eq!(r.price, Some(6.5));
        assert_eq!(r.item.as_deref(), Some("Item_2_FOOD"));
        assert_eq!(
            restored,
            Restored {
                item: true,
                price_per_unit: true,
                ..Restored::default()
            }
        );
    }

    #[test]
    fn nothing_to_derive_from() {
        let mut r = row(None, None, None, Some(13.0));
        assert_eq!(repair_row(&mut r, &catalog(), &RULES), Restored::default());
        let mut r = row(Some("Item_2_FOOD"), Some(6.5), None, None);
        assert_eq!(repair_row(&mut r, &catalog(), &RULES), Restored::default());
    }

    #[test]
    fn one_round_is_the_fixed_point() {
        let values_f = [None, Some(0.0), Some(6.5), Some(13.0), Some(20.0)];
        let values_q = [None, Some(0), Some(2), Some(3)];
        let items = [None, Some("Item_2_FOOD")];
        let catalog = catalog();
        for item in items {
            for price in values_f {
                for quantity in values_q {
                    for total in values_f {
                        let mut once = row(item, price, quantity, total);
                        repair_round(&mut once, &catalog, &RULES, &mut Restored::default());
                        let mut twice = once.clone();
                        let changed =
                            repair_round(&mut twice, &catalog, &RULES, &mut Restored::default());
                        assert!(!changed, "a second round changed {once:?} into {twice:?}");
                    }
                }
            }
        }
    }
}
