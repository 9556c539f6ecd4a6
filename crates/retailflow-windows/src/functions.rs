//! The scalar functions the window plans call, registered by name in the session so the plans can
//! be shipped to any executor that registers them too:
//!
//! - `rf_window_starts(ts, length, slide)`: the starts of every epoch-aligned window of `length`
//!   sliding every `slide` (milliseconds) that contains `ts`, earliest first — Spark's `window()`.
//! - `rf_receipt_total(items)`: Σ price × quantity in exact hundredths, each price first rounded to
//!   the nearest hundredth (half away from zero); an error beyond the exact range (which no receipt
//!   that passed the value rules reaches).
//! - `rf_receipt_units(items)`: Σ quantity, likewise.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, Int64Builder, ListArray, ListBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result, exec_datafusion_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::{SessionContext, lit};
use retailflow_eventtime::{Money, TimeSpan};

use crate::source::items_type;

/// Name of the window-assignment function.
pub const WINDOW_STARTS: &str = "rf_window_starts";
/// Name of the exact receipt-total function.
pub const RECEIPT_TOTAL: &str = "rf_receipt_total";
/// Name of the units-per-receipt function.
pub const RECEIPT_UNITS: &str = "rf_receipt_units";

/// Registers every function of this module in `context`.
pub fn register(context: &SessionContext) {
    for function in [
        window_starts_udf(),
        receipt_total_udf(),
        receipt_units_udf(),
    ] {
        context.register_udf(function);
    }
}

/// The type `rf_window_starts` returns.
pub fn window_starts_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true)))
}

fn window_starts_udf() -> ScalarUDF {
    kernel_function(
        WINDOW_STARTS,
        vec![DataType::Int64, DataType::Int64, DataType::Int64],
        window_starts_type(),
        window_starts_kernel,
    )
}

fn receipt_total_udf() -> ScalarUDF {
    kernel_function(
        RECEIPT_TOTAL,
        vec![items_type()],
        DataType::Int64,
        receipt_total_kernel,
    )
}

fn receipt_units_udf() -> ScalarUDF {
    kernel_function(
        RECEIPT_UNITS,
        vec![items_type()],
        DataType::Int64,
        receipt_units_kernel,
    )
}

/// A kernel: the input columns, all of the batch's length, in; one column of that length out.
type Kernel = fn(&[ArrayRef]) -> Result<ArrayRef>;

/// A scalar function computed by a plain [`Kernel`], so it can be rebuilt wherever a plan runs.
/// Two are equal when their names are.
#[derive(Debug)]
struct KernelFunction {
    name: &'static str,
    signature: Signature,
    return_type: DataType,
    kernel: Kernel,
}

impl PartialEq for KernelFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for KernelFunction {}

impl Hash for KernelFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for KernelFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.return_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = args
            .args
            .iter()
            .map(|value| value.to_array(args.number_rows))
            .collect::<Result<Vec<_>>>()?;
        Ok(ColumnarValue::Array((self.kernel)(&arrays)?))
    }
}

/// The function `name` taking `inputs` and returning `output`, computed by `kernel`.
fn kernel_function(
    name: &'static str,
    inputs: Vec<DataType>,
    output: DataType,
    kernel: Kernel,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(KernelFunction {
        name,
        signature: Signature::exact(inputs, Volatility::Immutable),
        return_type: output,
        kernel,
    })
}

/// `rf_window_starts(ts, length, slide)`.
pub fn window_starts(ts: Expr, length: TimeSpan, slide: TimeSpan) -> Expr {
    window_starts_udf().call(vec![ts, lit(length.millis()), lit(slide.millis())])
}

/// `rf_receipt_total(items)`.
pub fn receipt_total(items: Expr) -> Expr {
    receipt_total_udf().call(vec![items])
}

/// `rf_receipt_units(items)`.
pub fn receipt_units(items: Expr) -> Expr {
    receipt_units_udf().call(vec![items])
}

/// The starts of the windows of `length` every `slide` (both positive, milliseconds) containing
/// `t`, earliest first: every `k·slide` with `t − length < k·slide ≤ t`.
pub fn starts_containing(t: i64, length: i64, slide: i64) -> impl Iterator<Item = i64> {
    let last_start = t.saturating_sub(t.rem_euclid(slide));
    // At most ⌈length / slide⌉ windows can contain an instant.
    let candidates = length / slide + i64::from(length % slide != 0);
    (0..candidates)
        .rev()
        .map(move |k| last_start.saturating_sub(k.saturating_mul(slide)))
        .filter(move |&start| start.saturating_add(length) > t)
}

fn window_starts_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [ts, length, slide] = args else {
        return Err(argument_count(WINDOW_STARTS, 3, args.len()));
    };
    let (ts, length, slide) = (
        int64s(WINDOW_STARTS, ts)?,
        int64s(WINDOW_STARTS, length)?,
        int64s(WINDOW_STARTS, slide)?,
    );
    let mut starts = ListBuilder::with_capacity(Int64Builder::new(), ts.len());
    for row in 0..ts.len() {
        if ts.is_null(row) || length.is_null(row) || slide.is_null(row) {
            starts.append_null();
            continue;
        }
        let (length, slide) = (length.value(row), slide.value(row));
        if length <= 0 || slide <= 0 {
            return Err(DataFusionError::Execution(format!(
                "{WINDOW_STARTS}: window length {length} ms and slide {slide} ms must be positive"
            )));
        }
        starts
            .values()
            .extend(starts_containing(ts.value(row), length, slide).map(Some));
        starts.append(true);
    }
    Ok(Arc::new(starts.finish()))
}

fn receipt_total_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    per_receipt(RECEIPT_TOTAL, args, |items, mut range| {
        let prices = items.column(2).as_primitive::<Float64Type>();
        let quantities = items.column(3).as_primitive::<Int64Type>();
        range
            .try_fold(Money::ZERO, |total, line| {
                total.checked_add(
                    Money::try_from_decimal(prices.value(line))?
                        .checked_mul(quantities.value(line))?,
                )
            })
            .map(Money::hundredths)
            .ok_or_else(|| exec_datafusion_err!("a receipt total is beyond the exact range"))
    })
}

fn receipt_units_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    per_receipt(RECEIPT_UNITS, args, |items, mut range| {
        let quantities = items.column(3).as_primitive::<Int64Type>();
        range
            .try_fold(0_i64, |units, line| {
                units.checked_add(quantities.value(line))
            })
            .ok_or_else(|| exec_datafusion_err!("a receipt's units are beyond the exact range"))
    })
}

/// One Int64 per receipt from its lines: `reduce(lines struct array, line index range)`.
fn per_receipt(
    name: &str,
    args: &[ArrayRef],
    reduce: impl Fn(&datafusion::arrow::array::StructArray, std::ops::Range<usize>) -> Result<i64>,
) -> Result<ArrayRef> {
    let [items] = args else {
        return Err(argument_count(name, 1, args.len()));
    };
    let items: &ListArray = items
        .as_list_opt::<i32>()
        .ok_or_else(|| DataFusionError::Execution(format!("{name}: expected a list of items")))?;
    let lines = items
        .values()
        .as_struct_opt()
        .ok_or_else(|| DataFusionError::Execution(format!("{name}: expected items as structs")))?;
    if lines.num_columns() != 4
        || lines.column(2).as_primitive_opt::<Float64Type>().is_none()
        || lines.column(3).as_primitive_opt::<Int64Type>().is_none()
    {
        return Err(DataFusionError::Execution(format!(
            "{name}: items must be {{name, category, price: Float64, quantity: Int64}}"
        )));
    }
    let offsets = items.value_offsets();
    let values: Int64Array = (0..items.len())
        .map(|row| {
            items
                .is_valid(row)
                .then(|| {
                    let range = offsets[row] as usize..offsets[row + 1] as usize;
                    reduce(lines, range)
                })
                .transpose()
        })
        .collect::<Result<_>>()?;
    Ok(Arc::new(values))
}

fn int64s<'a>(name: &str, array: &'a ArrayRef) -> Result<&'a Int64Array> {
    array
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| DataFusionError::Execution(format!("{name}: expected Int64 arguments")))
}

fn argument_count(name: &str, expected: usize, got: usize) -> DataFusionError {
    DataFusionError::Execution(format!("{name} takes {expected} arguments, got {got}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(t: i64, length: i64, slide: i64) -> Vec<i64> {
        starts_containing(t, length, slide).collect()
    }

    #[test]
    fn tumbling_windows_floor_to_the_length() {
        assert_eq!(starts(13_500, 10_000, 10_000), [10_000]);
        assert_eq!(starts(20_000, 10_000, 10_000), [20_000]);
        assert_eq!(starts(19_999, 10_000, 10_000), [10_000]);
        assert_eq!(starts(-1, 10_000, 10_000), [-10_000]);
    }

    #[test]
    fn sliding_windows_are_every_start_within_one_length() {
        assert_eq!(
            starts(13_500, 10_000, 2_000),
            [4_000, 6_000, 8_000, 10_000, 12_000]
        );
        // At a slide boundary the window ending there is left out and the one starting there is in.
        assert_eq!(
            starts(14_000, 10_000, 2_000),
            [6_000, 8_000, 10_000, 12_000, 14_000]
        );
        // A slide that does not divide the length: 3 or 4 windows.
        assert_eq!(starts(10_000, 10_000, 3_000), [3_000, 6_000, 9_000]);
        assert_eq!(starts(9_500, 10_000, 3_000), [0, 3_000, 6_000, 9_000]);
        assert_eq!(starts(-1, 10_000, 5_000), [-10_000, -5_000]);
    }

    #[test]
    fn the_kernel_builds_one_list_per_row() {
        let ts: ArrayRef = Arc::new(Int64Array::from(vec![Some(13_500), None]));
        let length: ArrayRef = Arc::new(Int64Array::from(vec![10_000, 10_000]));
        let slide: ArrayRef = Arc::new(Int64Array::from(vec![5_000, 5_000]));
        let out = window_starts_kernel(&[ts, length, slide]).unwrap();
        let out = out.as_list::<i32>();
        assert_eq!(out.data_type(), &window_starts_type());
        assert_eq!(
            out.value(0).as_primitive::<Int64Type>().values(),
            &[5_000, 10_000]
        );
        assert!(out.is_null(1));
    }

    #[test]
    fn totals_round_each_price_to_hundredths_then_multiply() {
        use crate::source::{item_field, item_fields};
        use datafusion::arrow::array::{Float64Array, StringArray, StructArray};
        use datafusion::arrow::buffer::OffsetBuffer;
        let names: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c", "d"]));
        let categories: ArrayRef = Arc::new(StringArray::from(vec!["x", "x", "x", "x"]));
        let prices: ArrayRef = Arc::new(Float64Array::from(vec![0.1, 0.2, 19.995, 1.004]));
        let quantities: ArrayRef = Arc::new(Int64Array::from(vec![3, 1, 2, 7]));
        let lines = StructArray::try_new(
            item_fields(),
            vec![names, categories, prices, quantities],
            None,
        )
        .unwrap();
        let items: ArrayRef = Arc::new(
            ListArray::try_new(
                item_field(),
                OffsetBuffer::new(vec![0, 2, 3, 4].into()),
                Arc::new(lines),
                None,
            )
            .unwrap(),
        );
        let totals = receipt_total_kernel(std::slice::from_ref(&items)).unwrap();
        // 0.1×3 + 0.2 = 0.50 exactly; 19.995 × 100 is 1999.5 in floating point, so the price is
        // 20.00 as the engine's money makes it; 1.004 is 1.00.
        assert_eq!(
            totals.as_primitive::<Int64Type>().values(),
            &[50, 4000, 700]
        );
        assert_eq!(Money::try_from_decimal(19.995).unwrap().hundredths(), 2000);
        let units = receipt_units_kernel(&[items]).unwrap();
        assert_eq!(units.as_primitive::<Int64Type>().values(), &[4, 2, 7]);
    }

    #[test]
    fn totals_beyond_the_exact_range_are_an_error_not_a_clamped_figure() {
        use crate::source::{item_field, item_fields};
        use datafusion::arrow::array::{Float64Array, StringArray, StructArray};
        use datafusion::arrow::buffer::OffsetBuffer;
        let lines = StructArray::try_new(
            item_fields(),
            vec![
                Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
                Arc::new(StringArray::from(vec!["x"])),
                Arc::new(Float64Array::from(vec![1.0])),
                Arc::new(Int64Array::from(vec![i64::MAX])),
            ],
            None,
        )
        .unwrap();
        let items: ArrayRef = Arc::new(
            ListArray::try_new(
                item_field(),
                OffsetBuffer::new(vec![0, 1].into()),
                Arc::new(lines),
                None,
            )
            .unwrap(),
        );
        assert!(receipt_total_kernel(std::slice::from_ref(&items)).is_err());
    }
}
