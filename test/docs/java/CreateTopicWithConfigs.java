// Creates a topic with topic configs through the Java Admin client (createTopics with
// NewTopic.configs), as an application would: does the client pass a config name it does
// not know, such as stratus.durability, on to the broker? Run from source by
// test/docs/topic-config-tools.test.ts (java ... CreateTopicWithConfigs.java).
//
// Usage: CreateTopicWithConfigs BOOTSTRAP TOPIC NAME=VALUE...   (exit 0 once created)

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

public class CreateTopicWithConfigs {
  public static void main(String[] args) throws Exception {
    Map<String, String> configs = new HashMap<>();
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      configs.put(kv[0], kv[1]);
    }
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]))) {
      admin.createTopics(List.of(new NewTopic(args[1], 1, (short) 1).configs(configs))).all().get();
    }
    System.out.println("created " + args[1]);
  }
}
