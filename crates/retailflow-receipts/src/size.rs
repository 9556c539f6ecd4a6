//! The message size limit: a message over it is refused as `too_large` before it is parsed, by the
//! stream and the batch windows alike, so both leave out exactly the same messages.

use crate::reason::{Reason, Rejection};

/// The size limit unless one is given (`--max-message-size`): 1 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;

/// `Ok` for a message of `size` bytes within `max_message_size`, else its `too_large` rejection.
pub fn check_message_size(size: usize, max_message_size: usize) -> Result<(), Rejection> {
    if size > max_message_size {
        return Err(Rejection::new(
            Reason::TooLarge,
            format!("{size} bytes is over the {max_message_size} byte limit"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_messages_over_the_limit_are_too_large() {
        assert!(check_message_size(0, 0).is_ok());
        assert!(check_message_size(1024, 1024).is_ok());
        let rejection = check_message_size(1025, 1024).unwrap_err();
        assert_eq!(rejection.reason, Reason::TooLarge);
        assert_eq!(rejection.detail, "1025 bytes is over the 1024 byte limit");
    }
}
