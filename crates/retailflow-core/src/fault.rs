//! Who is at fault when a command stops, and the exit code that says so: every error of every
//! crate sorts itself into one of these, so scripts can tell a bad invocation from bad data, a
//! broker that is down, or a bug. Every error is printed on one line ([`one_line`]).

/// Who is at fault for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An argument, path or setting the user gave cannot be used.
    UserInput,
    /// The input is readable but its contents cannot be processed as asked.
    Data,
    /// Something around retailflow failed: a broker, the network, the disk.
    Environment,
    /// A fault in retailflow itself.
    Internal,
}

impl Fault {
    /// The process exit code: 2 user input (as for arguments the parser refuses), 3 data,
    /// 4 environment, 70 internal (`EX_SOFTWARE`).
    pub fn exit_code(self) -> u8 {
        match self {
            Fault::UserInput => 2,
            Fault::Data => 3,
            Fault::Environment => 4,
            Fault::Internal => 70,
        }
    }
}

/// `text` collapsed onto one line (every run of white space, newlines included, becomes one
/// space), as errors are printed.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_lines_and_runs_of_space() {
        assert_eq!(one_line("  a\n\tb   c\r\n"), "a b c");
        assert_eq!(one_line(""), "");
    }

    #[test]
    fn each_fault_has_its_own_exit_code() {
        let codes = [
            Fault::UserInput,
            Fault::Data,
            Fault::Environment,
            Fault::Internal,
        ]
        .map(Fault::exit_code);
        assert_eq!(codes, [2, 3, 4, 70]);
    }
}
