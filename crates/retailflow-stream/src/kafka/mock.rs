//! librdkafka's mock cluster, in process: real Kafka protocol on 127.0.0.1 with nothing installed.
//! Used by `retailflow demo` and by tests. Topics are created through the cluster itself (the mock
//! does not implement the CreateTopics admin call).

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use crate::error::StreamError;

/// A running mock cluster; it stops when dropped. It must stay on the thread that made it;
/// clients anywhere (threads, other processes) reach it through [`MockKafka::bootstrap_servers`].
pub struct MockKafka {
    cluster: MockCluster<'static, DefaultProducerContext>,
}

impl std::fmt::Debug for MockKafka {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockKafka")
            .field("bootstrap_servers", &self.bootstrap_servers())
            .finish()
    }
}

fn mock_error(
    operation: impl Into<String>,
) -> impl FnOnce(rdkafka::error::KafkaError) -> StreamError {
    let operation = operation.into();
    move |source| StreamError::MockCluster {
        operation,
        cause: source,
    }
}

impl MockKafka {
    /// Starts a cluster of `brokers` brokers (ids 1..=brokers) on loopback ports.
    pub fn start(brokers: i32) -> Result<Self, StreamError> {
        let cluster = MockCluster::new(brokers).map_err(mock_error("start"))?;
        Ok(Self { cluster })
    }

    /// The `host:port,...` list clients connect to.
    pub fn bootstrap_servers(&self) -> String {
        self.cluster.bootstrap_servers()
    }

    /// Creates a topic with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: i32) -> Result<(), StreamError> {
        self.cluster
            .create_topic(topic, partitions, 1)
            .map_err(mock_error(format!("create topic {topic}")))
    }

    /// Takes broker `id` down (its connections drop and it refuses new ones), to test outages.
    pub fn broker_down(&self, id: i32) -> Result<(), StreamError> {
        self.cluster
            .broker_down(id)
            .map_err(mock_error(format!("take broker {id} down")))
    }

    /// Brings broker `id` back up.
    pub fn broker_up(&self, id: i32) -> Result<(), StreamError> {
        self.cluster
            .broker_up(id)
            .map_err(mock_error(format!("bring broker {id} up")))
    }
}
