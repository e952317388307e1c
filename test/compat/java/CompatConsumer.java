// A Java consumer-group member: subscribes --topic in --group (auto.offset.reset=earliest,
// enable.auto.commit=false, Kafka's defaults otherwise; --protocol consumer selects the KIP-848 protocol) and polls
// until it has seen --expect records or --timeout-ms passes. Before closing it commits,
// synchronously, exactly the offsets after the records it processed (not the position of
// the last poll, which may be further), so a later member resumes right after them.
//
// stdout, one JSON object a line: {"assigned":[p,...]} on each assignment,
// {"partition":p,"offset":o,"key":...,"value":...} per record, then
// {"summary":true,"consumed":n,"committed":{"p":offset,...}}. Exit code 1 on a timeout.
//
// Usage: CompatConsumer --bootstrap HOST:PORT --topic T --group G --expect N
//                       [--timeout-ms MS] [--protocol classic|consumer] [--prop K=V]...

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public final class CompatConsumer {
    public static void main(String[] args) {
        Args a = Args.parse(args);
        String topic = a.required("topic");
        int expect = Integer.parseInt(a.required("expect"));
        long timeoutMs = Long.parseLong(a.get("timeout-ms", "60000"));

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, a.required("bootstrap"));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, a.required("group"));
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, a.get("protocol", "classic"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Commits are ours alone: auto-commit would commit the position on close.
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.putAll(a.props());

        Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
        int consumed = 0;
        StringBuilder out = new StringBuilder();
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) { }
                @Override public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    StringBuilder s = new StringBuilder("{\"assigned\":[");
                    partitions.stream().map(TopicPartition::partition).sorted().forEach(p -> s.append(s.charAt(s.length() - 1) == '[' ? "" : ",").append(p));
                    System.out.println(s.append("]}"));
                }
            });
            outer:
            while (consumed < expect && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    out.append("{\"partition\":").append(r.partition()).append(",\"offset\":").append(r.offset())
                        .append(",\"key\":").append(Json.str(r.key())).append(",\"value\":").append(Json.str(r.value())).append("}\n");
                    toCommit.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    if (++consumed >= expect) break outer;
                }
            }
            System.out.print(out);
            if (!toCommit.isEmpty()) consumer.commitSync(toCommit);
        }
        Map<Integer, Long> committed = new TreeMap<>();
        toCommit.forEach((tp, om) -> committed.put(tp.partition(), om.offset()));
        StringBuilder c = new StringBuilder("{");
        committed.forEach((p, o) -> c.append(c.length() > 1 ? "," : "").append('"').append(p).append("\":").append(o));
        System.out.println("{\"summary\":true,\"consumed\":" + consumed + ",\"committed\":" + c.append('}') + "}");
        System.exit(consumed >= expect ? 0 : 1);
    }
}
