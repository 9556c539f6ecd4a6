//! Shared Kafka plumbing: client contexts that route librdkafka's errors to the status log and
//! count deliveries, readable error descriptions, and the in-process mock cluster.

pub mod context;
pub mod mock;
pub mod writer;

use rdkafka::error::KafkaError;

pub use context::{ConsumerStatus, ProducerStatus};
pub use mock::MockKafka;
pub use writer::{DeliveryTally, KafkaWriter, PAUSE_BEFORE_COMMIT_VAR, WriterConfig};

/// A Kafka error as a user should read it: librdkafka's own words
/// (`Local: All broker connections are down`) rather than Rust enum names.
pub fn describe_error(error: &KafkaError) -> String {
    match error.rdkafka_error_code() {
        Some(code) => {
            // The code prints as `Name (description)`; keep the description.
            let text = code.to_string();
            match text.split_once(" (") {
                Some((_, rest)) => rest.strip_suffix(')').unwrap_or(rest).to_string(),
                None => text,
            }
        }
        None => match error {
            KafkaError::ClientConfig(_, description, key, value) => {
                format!("setting {key}={value}: {description}")
            }
            KafkaError::ClientCreation(reason)
            | KafkaError::Subscription(reason)
            | KafkaError::Seek(reason)
            | KafkaError::PauseResume(reason) => reason.clone(),
            other => other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::types::RDKafkaErrorCode;

    use super::*;

    #[test]
    fn errors_read_as_librdkafka_words() {
        let error = KafkaError::MessageConsumption(RDKafkaErrorCode::AllBrokersDown);
        assert_eq!(
            describe_error(&error),
            "Local: All broker connections are down"
        );
        assert_eq!(
            describe_error(&KafkaError::ClientCreation("bad".into())),
            "bad"
        );
    }
}
