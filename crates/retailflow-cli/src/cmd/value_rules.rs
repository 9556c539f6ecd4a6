//! `--max-quantity` and `--max-price`, shared by `clean`, `stream` and `windows` so that all three
//! judge a value the same way.

use retailflow_core::values::ValueRules;

/// How the value rules work, for the commands' `--help`.
pub const VALUE_RULES_HELP: &str = "\
Value rules (the same in clean, stream and windows):
  quantity  a whole number in 1..=--max-quantity (default 100000)
  price     a finite number in 0..=--max-price (default 1000000)
  total     a finite number in 0..=max quantity × max price
A value that breaks a rule is junk: clean nulls it and counts it per column and rule in the
report's out_of_range section; stream and windows dead-letter the receipt as invalid_value, naming
the field and the rule. Within these limits every total, sum and average written is exact.";

/// The value-rule flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ValueRulesArgs {
    /// The most units a line (a CSV row, a receipt line) may have; more is out of range.
    #[arg(long, value_name = "N", default_value_t = ValueRules::DEFAULT_MAX_QUANTITY)]
    max_quantity: i64,
    /// The highest unit price; more is out of range.
    #[arg(long, value_name = "AMOUNT", default_value_t = ValueRules::DEFAULT_MAX_PRICE)]
    max_price: f64,
}

impl ValueRulesArgs {
    /// The rules, checked.
    pub fn rules(&self) -> anyhow::Result<ValueRules> {
        Ok(ValueRules::new(self.max_quantity, self.max_price)?)
    }
}
