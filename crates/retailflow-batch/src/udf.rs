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
