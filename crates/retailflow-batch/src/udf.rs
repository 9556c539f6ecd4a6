//! The frame for retailflow's vectorised scalar functions. Each function is a plain kernel over Arrow
//! arrays, wrapped as a DataFusion `ScalarUDF`, so the plans that use them run wherever the functions
//! are registered: a local session today, a Ballista executor later.

use std::hash::{Hash, Hasher};

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use retailflow_core::values::ValueRules;

/// A kernel: the input columns, all of the batch's length, in; one column of that length out.
pub type Kernel = fn(&[ArrayRef]) -> Result<ArrayRef>;

/// A stateless scalar function backed by a [`Kernel`]. Two functions are equal when their names are.
#[derive(Debug)]
struct ArrayFunction {
    name: &'static str,
    signature: Signature,
    return_type: DataType,
    kernel: Kernel,
}

impl PartialEq for ArrayFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ArrayFunction {}

impl Hash for ArrayFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for ArrayFunction {
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
        let arrays = columns_of(&args)?;
        Ok(ColumnarValue::Array((self.kernel)(&arrays)?))
    }
}

/// The arguments of a call as arrays of the batch's length (scalars are repeated).
pub fn columns_of(args: &ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    args.args
        .iter()
        .map(|value| value.to_array(args.number_rows))
        .collect()
}

/// A scalar function named `name` taking `inputs` and returning `output`, computed by `kernel`.
pub fn array_function(
    name: &'static str,
    inputs: Vec<DataType>,
    output: DataType,
    kernel: Kernel,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(ArrayFunction {
        name,
        signature: Signature::exact(inputs, Volatility::Immutable),
        return_type: output,
        kernel,
    })
}

/// A kernel that reads the value rules in force.
pub type RulesKernel = fn(&[ArrayRef], &ValueRules) -> Result<ArrayRef>;

/// A scalar function backed by a [`RulesKernel`] and the rules it applies: plain data, so the
/// function can be rebuilt wherever the plan runs. Two are equal when their names and rules are.
#[derive(Debug)]
struct RulesFunction {
    name: &'static str,
    signature: Signature,
    return_type: DataType,
    rules: ValueRules,
    kernel: RulesKernel,
}

impl PartialEq for RulesFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.rules == other.rules
    }
}

impl Eq for RulesFunction {}

impl Hash for RulesFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.rules.max_quantity.hash(state);
        self.rules.max_price.to_bits().hash(state);
    }
}

impl ScalarUDFImpl for RulesFunction {
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
        let arrays = columns_of(&args)?;
        Ok(ColumnarValue::Array((self.kernel)(&arrays, &self.rules)?))
    }
}

/// A scalar function named `name` taking `inputs` and returning `output`, computed by `kernel`
/// under `rules`.
pub fn rules_function(
    name: &'static str,
    inputs: Vec<DataType>,
    output: DataType,
    rules: ValueRules,
    kernel: RulesKernel,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(RulesFunction {
        name,
        signature: Signature::exact(inputs, Volatility::Immutable),
        return_type: output,
        rules,
        kernel,
    })
}
