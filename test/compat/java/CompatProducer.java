// A Java producer with Kafka's DEFAULT settings (since 3.0: enable.idempotence=true,
// acks=all): only the bootstrap address and the String serializers are set, plus any
// --prop K=V the caller adds. Sends --count records (key "k-<i>", value "v-<i>", keys spread
// over partitions by the default partitioner) and waits for every acknowledgement.
//
// stdout, one JSON object a line: {"acked":i,"key":...,"partition":p,"offset":o} per record
// in send order, then {"summary":true,"acked":n,"failed":f,"enable.idempotence":...,"acks":...}.
// Failures are printed as {"failed":i,"error":"..."}; the exit code is non-zero if any failed.
//
// Usage: CompatProducer --bootstrap HOST:PORT --topic T --count N [--prop K=V]...

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

public final class CompatProducer {
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        String topic = a.required("topic");
        int count = Integer.parseInt(a.required("count"));

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.required("bootstrap"));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.putAll(a.props());
        // The effective configuration, defaults applied exactly as the producer applies them.
        ProducerConfig effective = new ProducerConfig(props);

        int acked = 0;
        int failed = 0;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            List<Future<RecordMetadata>> futures = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                futures.add(producer.send(new ProducerRecord<>(topic, "k-" + i, "v-" + i)));
            }
            producer.flush();
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < count; i++) {
                try {
                    RecordMetadata md = futures.get(i).get();
                    out.append("{\"acked\":").append(i).append(",\"key\":").append(Json.str("k-" + i))
                        .append(",\"partition\":").append(md.partition()).append(",\"offset\":").append(md.offset()).append("}\n");
                    acked++;
                } catch (Exception e) {
                    out.append("{\"failed\":").append(i).append(",\"error\":").append(Json.str(String.valueOf(e.getCause()))).append("}\n");
                    failed++;
                }
            }
            System.out.print(out);
        }
        System.out.println("{\"summary\":true,\"acked\":" + acked + ",\"failed\":" + failed
            + ",\"enable.idempotence\":" + effective.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)
            + ",\"acks\":" + Json.str(effective.getString(ProducerConfig.ACKS_CONFIG)) + "}");
        System.exit(failed == 0 ? 0 : 1);
    }
}
