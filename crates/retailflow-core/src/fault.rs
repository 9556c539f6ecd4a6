//! Who is at fault when a command stops, and the exit code that says so: every error of every
//! crate sorts itself into one of these, so scripts can tell a bad invocation from bad data, a
//! broker that is down, or a bug.

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

#[cfg(test)]
mod tests {
    use super::*;

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
