package dev.retailflow.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.types.Row;

/**
 * The stream benchmark in Flink SQL: a Kafka source table with a JSON format and a watermark on the
 * receipt's {@code ts}, the four analyses as {@code TUMBLE} window aggregations (Window Top-N for the
 * rankings), read from the earliest offsets to the end offsets seen at start
 * ({@code scan.bounded.mode = latest-offset}), in local execution.
 *
 * <pre>
 *   FlinkJob BROKERS TOPIC OUTPUT_DIR [--window 10s] [--allowed-lateness 5s] [--big-receipt 500]
 *            [--parallelism N] [--follow OUTPUT.jsonl]
 * </pre>
 *
 * With {@code --follow FILE} (the latency benchmark) it reads from the latest offsets without an end,
 * and writes every row to FILE as well, one JSON line with its {@code kind}, flushed at once, until it
 * is stopped.
 *
 * The four queries run as one job (UNION ALL of one source scan); its rows are collected and written
 * as JSON lines in the layout bench/stream/compare.py reads for a directory: OUTPUT_DIR/KIND/part-0.json,
 * window starts in epoch milliseconds ({@code window_start_ms}), money in cents, rankings one row per
 * rank. At the end of the input Flink's watermark moves to the end of time, so every window is
 * emitted.
 */
public final class FlinkJob {

  /** Σ round(price × 100) × quantity of a receipt's items, in cents. */
  public static final class TotalCents extends ScalarFunction {
    public Long eval(
        @DataTypeHint("ARRAY<ROW<name STRING, category STRING, price DOUBLE, quantity BIGINT>>")
            Row[] items) {
      if (items == null) {
        return null;
      }
      long total = 0;
      for (Row item : items) {
        Double price = (Double) item.getField(2);
        Long quantity = (Long) item.getField(3);
        if (price == null || quantity == null) {
          return null;
        }
        total += Math.round(price * 100) * quantity;
      }
      return total;
    }
  }

  /** Σ quantity of a receipt's items. */
  public static final class Units extends ScalarFunction {
    public Long eval(
        @DataTypeHint("ARRAY<ROW<name STRING, category STRING, price DOUBLE, quantity BIGINT>>")
            Row[] items) {
      if (items == null) {
        return null;
      }
      long units = 0;
      for (Row item : items) {
        Long quantity = (Long) item.getField(3);
        if (quantity == null) {
          return null;
        }
        units += quantity;
      }
      return units;
    }
  }

  static long durationMs(String text) {
    text = text.trim();
    if (text.endsWith("ms")) {
      return Long.parseLong(text.substring(0, text.length() - 2));
    }
    long factor = switch (text.charAt(text.length() - 1)) {
      case 's' -> 1000L;
      case 'm' -> 60_000L;
      case 'h' -> 3_600_000L;
      default -> throw new IllegalArgumentException("not a duration: " + text);
    };
    return Long.parseLong(text.substring(0, text.length() - 1)) * factor;
  }

  /** A window start (TIMESTAMP, in UTC: table.local-time-zone) or a receipt's ts (TIMESTAMP_LTZ). */
  static long epochMs(Object moment) {
    if (moment instanceof Instant instant) {
      return instant.toEpochMilli();
    }
    return ((LocalDateTime) moment).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  /** Milliseconds as an SQL seconds interval literal's text, e.g. {@code 5.000}. */
  static String seconds(long ms) {
    return String.format("%d.%03d", ms / 1000, ms % 1000);
  }

  static String json(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: FlinkJob BROKERS TOPIC OUTPUT_DIR [--window 10s] [--allowed-lateness 5s]"
          + " [--big-receipt 500] [--parallelism N]");
      System.exit(2);
    }
    String brokers = args[0];
    String topic = args[1];
    Path out = Path.of(args[2]);
    long windowMs = 10_000;
    long latenessMs = 5_000;
    double big = 500;
    int parallelism = Runtime.getRuntime().availableProcessors();
    String group = "bench-flink-" + System.nanoTime();
    Path follow = null;
    for (int i = 3; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--window" -> windowMs = durationMs(args[i + 1]);
        case "--allowed-lateness" -> latenessMs = durationMs(args[i + 1]);
        case "--big-receipt" -> big = Double.parseDouble(args[i + 1]);
        case "--parallelism" -> parallelism = Integer.parseInt(args[i + 1]);
        case "--group" -> group = args[i + 1];
        case "--follow" -> follow = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    long bigCents = Math.round(big * 100);

    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    env.getConfig().set("table.local-time-zone", "UTC");
    env.getConfig().set("parallelism.default", String.valueOf(parallelism));
    env.getConfig().set("pipeline.name", "retailflow-stream-bench");
    env.createTemporarySystemFunction("total_cents", TotalCents.class);
    env.createTemporarySystemFunction("units", Units.class);

    env.executeSql("CREATE TABLE receipts (\n"
        + "  receipt_id STRING,\n"
        + "  store_id STRING,\n"
        + "  cashier_id STRING,\n"
        + "  ts TIMESTAMP_LTZ(3),\n"
        + "  items ARRAY<ROW<name STRING, category STRING, price DOUBLE, quantity BIGINT>>,\n"
        + "  WATERMARK FOR ts AS ts - INTERVAL '" + seconds(latenessMs) + "' SECOND\n"
        + ") WITH (\n"
        + "  'connector' = 'kafka',\n"
        + "  'topic' = '" + topic + "',\n"
        + "  'properties.bootstrap.servers' = '" + brokers + "',\n"
        + "  'properties.group.id' = '" + group + "',\n"
        + (follow == null
            ? "  'scan.startup.mode' = 'earliest-offset',\n  'scan.bounded.mode' = 'latest-offset',\n"
            : "  'scan.startup.mode' = 'latest-offset',\n")
        + "  'format' = 'json',\n"
        + "  'json.ignore-parse-errors' = 'true',\n"
        + "  'json.timestamp-format.standard' = 'ISO-8601'\n"
        + ")");
    env.executeSql("CREATE TEMPORARY VIEW valid AS\n"
        + "SELECT receipt_id, store_id, cashier_id, ts, items, total_cents(items) AS total_cents,\n"
        + "  units(items) AS units\n"
        + "FROM receipts WHERE ts IS NOT NULL AND store_id IS NOT NULL AND items IS NOT NULL");
    String tumble = "TABLE(TUMBLE(TABLE valid, DESCRIPTOR(ts), INTERVAL '" + seconds(windowMs) + "' SECOND))";
    String tumbleLines = "TABLE(TUMBLE(TABLE lines, DESCRIPTOR(ts), INTERVAL '" + seconds(windowMs) + "' SECOND))";
    env.executeSql("CREATE TEMPORARY VIEW lines AS\n"
        + "SELECT ts, i.name, i.category, i.quantity\n"
        + "FROM valid CROSS JOIN UNNEST(items) AS i (name, category, price, quantity)");

    // One row shape for the four analyses:
    // kind, window_start, rank, key1 (store / category / receipt), key2 (item / cashier), n1, n2, n3.
    String summary = "SELECT 'window_summary' AS kind, window_start, CAST(0 AS BIGINT) AS rnk,\n"
        + "  CAST(NULL AS STRING) AS key1, CAST(NULL AS STRING) AS key2, COUNT(*) AS n1,\n"
        + "  SUM(total_cents) AS n2, SUM(units) AS n3\n"
        + "FROM " + tumble + " GROUP BY window_start, window_end";
    String topStores = "SELECT 'top_stores', window_start, rnk, store_id, CAST(NULL AS STRING), revenue,"
        + " receipts, CAST(NULL AS BIGINT) FROM (\n"
        + "  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end\n"
        + "    ORDER BY revenue DESC, store_id) AS rnk FROM (\n"
        + "    SELECT window_start, window_end, store_id, SUM(total_cents) AS revenue, COUNT(*) AS receipts\n"
        + "    FROM " + tumble + " GROUP BY window_start, window_end, store_id))\n"
        + "WHERE rnk <= 5";
    String popularItems = "SELECT 'popular_items', window_start, rnk, category, name, quantity,"
        + " CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) FROM (\n"
        + "  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, category\n"
        + "    ORDER BY quantity DESC, name) AS rnk FROM (\n"
        + "    SELECT window_start, window_end, category, name, SUM(quantity) AS quantity\n"
        + "    FROM " + tumbleLines + " GROUP BY window_start, window_end, category, name))\n"
        + "WHERE rnk <= 3";
    String bigReceipts = "SELECT 'big_receipt', ts, CAST(0 AS BIGINT), receipt_id, store_id, total_cents,"
        + " CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)\n"
        + "FROM valid WHERE total_cents > " + bigCents;
    TableResult result = env.executeSql(
        summary + "\nUNION ALL\n" + topStores + "\nUNION ALL\n" + popularItems + "\nUNION ALL\n" + bigReceipts);

    Map<String, BufferedWriter> writers = new HashMap<>();
    BufferedWriter followed = follow == null ? null : Files.newBufferedWriter(follow, StandardCharsets.UTF_8);
    long rows = 0;
    try (CloseableIterator<Row> it = result.collect()) {
      while (it.hasNext()) {
        Row row = it.next();
        String kind = (String) row.getField(0);
        long startMs = epochMs(row.getField(1));
        long rank = (Long) row.getField(2);
        String key1 = (String) row.getField(3);
        String key2 = (String) row.getField(4);
        Long n1 = (Long) row.getField(5);
        Long n2 = (Long) row.getField(6);
        Long n3 = (Long) row.getField(7);
        String line = switch (kind) {
          case "window_summary" -> "{\"window_start_ms\":" + startMs + ",\"receipts\":" + n1
              + ",\"revenue_cents\":" + n2 + ",\"items\":" + n3 + "}";
          case "top_stores" -> "{\"window_start_ms\":" + startMs + ",\"rank\":" + rank + ",\"store_id\":"
              + json(key1) + ",\"revenue_cents\":" + n1 + ",\"receipts\":" + n2 + "}";
          case "popular_items" -> "{\"window_start_ms\":" + startMs + ",\"rank\":" + rank
              + ",\"category\":" + json(key1) + ",\"name\":" + json(key2) + ",\"quantity\":" + n1 + "}";
          default -> "{\"receipt_id\":" + json(key1) + ",\"store_id\":" + json(key2) + ",\"ts_ms\":"
              + startMs + ",\"total_cents\":" + n1 + "}";
        };
        BufferedWriter w = writers.get(kind);
        if (w == null) {
          Path dir = out.resolve(kind);
          Files.createDirectories(dir);
          w = Files.newBufferedWriter(dir.resolve("part-0.json"), StandardCharsets.UTF_8);
          writers.put(kind, w);
        }
        w.write(line);
        w.newLine();
        if (followed != null) {
          followed.write("{\"kind\":\"" + kind + "\"," + line.substring(1));
          followed.newLine();
          followed.flush();
        }
        rows++;
      }
    } finally {
      if (followed != null) {
        followed.close();
      }
      for (BufferedWriter w : writers.values()) {
        try {
          w.close();
        } catch (IOException e) {
          // reported by the missing rows
        }
      }
    }
    System.err.println("flink: " + rows + " result rows written to " + out);
  }
}
