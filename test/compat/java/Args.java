// --name value command-line options; --prop K=V may repeat and collects client properties.

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

final class Args {
    private final Map<String, String> values = new HashMap<>();
    private final Properties props = new Properties();

    static Args parse(String[] argv) {
        Args a = new Args();
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("bad argument: " + arg);
            String value = argv[++i];
            if (arg.equals("--prop")) {
                int eq = value.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("--prop wants K=V, got " + value);
                a.props.put(value.substring(0, eq), value.substring(eq + 1));
            } else {
                a.values.put(arg.substring(2), value);
            }
        }
        return a;
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) throw new IllegalArgumentException("missing --" + name);
        return v;
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    Properties props() {
        return props;
    }
}
