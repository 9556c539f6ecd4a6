# Sourced by the Kafka benchmarks: `create_topic BROKERS TOPIC PARTITIONS` with the admin tool of the
# Apache Kafka jars scripts/broker.sh cached.
create_topic() {
  local version libs
  version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")
  libs="${KAFKA_CACHE:-${XDG_CACHE_HOME:-${HOME:-$ROOT}/.cache}/retailflow/kafka-$version}/libs"
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    "-Dlog4j2.configurationFile=$ROOT/scripts/kafka/log4j2-tools.properties" -cp "$libs/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --create --topic "$2" \
    --partitions "$3" --replication-factor 1 >/dev/null || { echo "creating topic $2 failed" >&2; exit 1; }
}
