// A Java producer with Kafka's DEFAULT settings (enable.idempotence=true, acks=all), like
// CompatProducer, but paced and streaming: sends --count records (key "k-<i>", value
// "v-<i>") at --rate records a second and prints each acknowledgement the moment its
// callback runs, so a test can kill the broker in the middle of the stream and know what
// had been acknowledged. The producer rides through broker restarts with its own retries
// (delivery.timeout.ms and the rest at their defaults).
//
// stdout, one JSON object a line, flushed per line: {"acked":i,"key":...,"partition":p,"offset":o}
// per acknowledged record in callback order, {"failed":i,"error":"..."} per failed one, then
// {"summary":true,"acked":n,"failed":f,"enable.idempotence":...,"acks":...} after the final
// flush. The exit code is non-zero if any record failed.
//
// Usage: StreamProducer --bootstrap HOST:PORT --topic T --count N --rate R [--prop K=V]...

import java.io.PrintStream;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public final class StreamProducer {
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        String topic = a.required("topic");
        int count = Integer.parseInt(a.required("count"));
        double rate = Double.parseDouble(a.required("rate"));

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.required("bootstrap"));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.putAll(a.props());
        ProducerConfig effective = new ProducerConfig(props);

        PrintStream out = System.out;
        AtomicInteger acked = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                final int n = i;
                producer.send(new ProducerRecord<>(topic, "k-" + i, "v-" + i), (md, e) -> {
                    String line = e == null
                        ? "{\"acked\":" + n + ",\"key\":" + Json.str("k-" + n) + ",\"partition\":" + md.partition() + ",\"offset\":" + md.offset() + "}"
                        : "{\"failed\":" + n + ",\"error\":" + Json.str(String.valueOf(e)) + "}";
                    (e == null ? acked : failed).incrementAndGet();
                    synchronized (out) {
                        out.println(line);
                        out.flush();
                    }
                });
            }
            producer.flush();
        }
        synchronized (out) {
            out.println("{\"summary\":true,\"acked\":" + acked.get() + ",\"failed\":" + failed.get()
                + ",\"enable.idempotence\":" + effective.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)
                + ",\"acks\":" + Json.str(effective.getString(ProducerConfig.ACKS_CONFIG)) + "}");
            out.flush();
        }
        System.exit(failed.get() == 0 ? 0 : 1);
    }
}
