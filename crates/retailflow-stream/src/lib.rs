//! The streaming half of retailflow: receipt schemas, Kafka and file sources, sinks, the dead-letter
//! queue and Spark-style console output. The event-time logic lives in `retailflow-eventtime`.
