// W4 of the side-by-side benchmark (test/bench/run.ts): end-to-end latency at a FIXED rate.
// Kafka's own org.apache.kafka.tools.EndToEndLatency is closed-loop (it sends the next record
// only after the previous one came back), so it cannot hold 1,000 msg/s; this program can.
//
// One JVM, two threads: a consumer that has every partition of the topic assigned and is
// positioned at the end BEFORE the first send, and a producer that sends record i at
// t0 + i/rate. Each record carries its INTENDED send time (System.nanoTime, same JVM, so
// the clocks agree); latency = receive time - intended send time, so a stalled send() or a
// late wake-up counts against the broker under test instead of being hidden (no coordinated
// omission). Records sent during the first --warmup-s seconds are received but not counted.
//
// Usage: FixedRateEndToEnd --bootstrap HOST:PORT --topic T --rate N --duration-s S
//          [--warmup-s S] [--record-size BYTES] [--prop K=V]... (producer and consumer props;
//          a prefix "producer." or "consumer." sends one to that client only)
// stdout: one JSON line {"sent":..,"acked":..,"received":..,"counted":..,"errors":..,
//          "p50Ms":..,"p95Ms":..,"p99Ms":..,"p999Ms":..,"maxMs":..,"avgMs":..,"achievedRate":..}
// Exit code non-zero if a send failed or a counted record never arrived.

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class FixedRateEndToEnd {
    public static void main(String[] args) throws Exception {
        String bootstrap = null;
        String topic = null;
        double rate = 1000;
        double durationS = 10;
        double warmupS = 2;
        int recordSize = 1024;
        Properties producerProps = new Properties();
        Properties consumerProps = new Properties();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) throw new IllegalArgumentException("missing value for " + a);
            i++;
            switch (a) {
                case "--bootstrap" -> bootstrap = v;
                case "--topic" -> topic = v;
                case "--rate" -> rate = Double.parseDouble(v);
                case "--duration-s" -> durationS = Double.parseDouble(v);
                case "--warmup-s" -> warmupS = Double.parseDouble(v);
                case "--record-size" -> recordSize = Integer.parseInt(v);
                case "--prop" -> {
                    int eq = v.indexOf('=');
                    String k = v.substring(0, eq);
                    String val = v.substring(eq + 1);
                    if (k.startsWith("producer.")) producerProps.put(k.substring(9), val);
                    else if (k.startsWith("consumer.")) consumerProps.put(k.substring(9), val);
                    else {
                        producerProps.put(k, val);
                        consumerProps.put(k, val);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (bootstrap == null || topic == null) throw new IllegalArgumentException("--bootstrap and --topic are required");
        if (recordSize < 16) throw new IllegalArgumentException("--record-size must be at least 16");

        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");

        final long total = Math.round(rate * (warmupS + durationS));
        final long warmupCount = Math.round(rate * warmupS);
        final Histogram hist = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final AtomicLong received = new AtomicLong();
        final AtomicLong counted = new AtomicLong();
        final AtomicLong acked = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicReference<String> firstError = new AtomicReference<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch positioned = new CountDownLatch(1);
        final String t = topic;

        Thread consumerThread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
                List<TopicPartition> tps = new ArrayList<>();
                for (PartitionInfo p : consumer.partitionsFor(t, Duration.ofSeconds(60))) tps.add(new TopicPartition(t, p.partition()));
                consumer.assign(tps);
                consumer.seekToEnd(tps);
                for (TopicPartition tp : tps) consumer.position(tp, Duration.ofSeconds(60)); // resolve now, not lazily
                positioned.countDown();
                while (!stop.get()) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    long now = System.nanoTime();
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        ByteBuffer b = ByteBuffer.wrap(r.value());
                        long seq = b.getLong();
                        long intended = b.getLong();
                        received.incrementAndGet();
                        if (seq >= warmupCount) {
                            hist.recordValue(Math.min(hist.getHighestTrackableValue(), Math.max(0, now - intended)));
                            counted.incrementAndGet();
                        }
                    }
                }
            } catch (Exception e) {
                firstError.compareAndSet(null, "consumer: " + e);
                errors.incrementAndGet();
                positioned.countDown();
            }
        }, "e2e-consumer");
        consumerThread.setDaemon(true);
        consumerThread.start();
        if (!positioned.await(90, TimeUnit.SECONDS)) throw new IllegalStateException("consumer was not positioned within 90 s");

        long start;
        long end;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps)) {
            producer.partitionsFor(topic); // metadata before the clock starts
            double intervalNs = 1e9 / rate;
            start = System.nanoTime();
            for (long i = 0; i < total; i++) {
                long intended = start + (long) (i * intervalNs);
                long wait;
                while ((wait = intended - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
                byte[] value = new byte[recordSize];
                ByteBuffer.wrap(value).putLong(i).putLong(intended);
                producer.send(new ProducerRecord<>(topic, value), (md, e) -> {
                    if (e != null) {
                        firstError.compareAndSet(null, "send: " + e);
                        errors.incrementAndGet();
                    } else {
                        acked.incrementAndGet();
                    }
                });
            }
            producer.flush();
            end = System.nanoTime();
        }
        long expected = total - warmupCount;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counted.get() < expected && System.nanoTime() < deadline && consumerThread.isAlive()) Thread.sleep(20);
        stop.set(true);
        consumerThread.join(5000);

        double ms = 1e6;
        StringBuilder out = new StringBuilder("{");
        out.append("\"sent\":").append(total)
            .append(",\"acked\":").append(acked.get())
            .append(",\"received\":").append(received.get())
            .append(",\"counted\":").append(counted.get())
            .append(",\"expected\":").append(expected)
            .append(",\"errors\":").append(errors.get())
            .append(",\"p50Ms\":").append(hist.getValueAtPercentile(50) / ms)
            .append(",\"p95Ms\":").append(hist.getValueAtPercentile(95) / ms)
            .append(",\"p99Ms\":").append(hist.getValueAtPercentile(99) / ms)
            .append(",\"p999Ms\":").append(hist.getValueAtPercentile(99.9) / ms)
            .append(",\"maxMs\":").append(hist.getMaxValue() / ms)
            .append(",\"avgMs\":").append(hist.getMean() / ms)
            .append(",\"achievedRate\":").append(total / ((end - start) / 1e9));
        String err = firstError.get();
        if (err != null) out.append(",\"firstError\":\"").append(err.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ")).append('"');
        out.append('}');
        System.out.println(out);
        System.exit(errors.get() == 0 && counted.get() >= expected ? 0 : 1);
    }
}
