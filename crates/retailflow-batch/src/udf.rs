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

/// What computes a function: a plain kernel, or one that reads the value rules it carries.
#[derive(Debug, Clone, Copy)]
enum Body {
    Plain(Kernel),
    Ruled(RulesKernel, ValueRules),
}

/// A scalar function backed by a [`Kernel`] or a [`RulesKernel`] with its rules: plain data, so the
/// function can be rebuilt wherever the plan runs. Two functions are equal when their names (and
/// rules) are.
#[derive(Debug)]
struct ArrayFunction {
    name: &'static str,
    signature: Signature,
    return_type: DataType,
    body: Body,
}

impl ArrayFunction {
    fn rules(&self) -> Option<ValueRules> {
        match self.body {
            Body::Plain(_) => None,
            Body::Ruled(_, rules) => Some(rules),
        }
    }
}

impl PartialEq for ArrayFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.rules() == other.rules()
    }
}

impl Eq for ArrayFunction {}

impl Hash for ArrayFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        if let Some(rules) = self.rules() {
            rules.max_quantity.hash(state);
            rules.max_price.to_bits().hash(state);
        }
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
        let out = match &self.body {
            Body::Plain(kernel) => kernel(&arrays)?,
            Body::Ruled(kernel, rules) => kernel(&arrays, rules)?,
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// Whether `function` is one of these functions, and if so the rules it carries (`None` for a
/// plain kernel).
pub(crate) fn carried_rules(function: &ScalarUDF) -> Option<Option<ValueRules>> {
    let inner: &dyn std::any::Any = function.inner().as_ref();
    inner
        .downcast_ref::<ArrayFunction>()
        .map(ArrayFunction::rules)
}

/// The arguments of a call as arrays of the batch's length (scalars are repeated).
pub fn columns_of(args: &ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    args.args
        .iter()
        .map(|value| value.to_array(args.number_rows))
        .collect()
}

fn function(
    name: &'static str,
    inputs: Vec<DataType>,
    output: DataType,
    body: Body,
    volatility: Volatility,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(ArrayFunction {
        name,
        signature: Signature::exact(inputs, volatility),
        return_type: output,
        body,
    })
}

/// A scalar function named `name` taking `inputs` and returning `output`, computed by `kernel`.
pub fn array_function(
    name: &'static str,
    inputs: Vec<DataType>,
    output: DataType,
    kernel: Kernel,
) -> ScalarUDF {
    function(
        name,
        inputs,
        output,
        Body::Plain(kernel),
        Volatility::Immutable,
    )
}

/// A kernel that reads the value rules in force.
pub type RulesKernel = fn(&[ArrayRef], &ValueRules) -> Result<ArrayRef>;

/// A scalar function named `name` taking `inputs` and returning `output`, computed by `kernel`
/// under `rules`, declared with `volatility` (see [`crate::repair`] for the one that is not
/// immutable, and why).
pub fn rules_function(
    name: &'static str,
    inputs: Vec<DataType>,
    output: DataType,
    rules: ValueRules,
    kernel: RulesKernel,
    volatility: Volatility,
) -> ScalarUDF {
    function(name, inputs, output, Body::Ruled(kernel, rules), volatility)
}
