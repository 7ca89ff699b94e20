// Oracle for the .properties tests: prints what java.util.Properties.load(InputStream) reads from
// each file named on the command line, as one JSON object {file: {key: value}}.
// Run as: java PropertiesDump.java FILE...
import java.io.FileInputStream;
import java.util.Properties;
import java.util.TreeMap;

public class PropertiesDump {
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < args.length; i++) {
            if (i > 0) out.append(",");
            out.append(quote(args[i])).append(":");
            Properties p = new Properties();
            try (FileInputStream in = new FileInputStream(args[i])) {
                p.load(in);
                TreeMap<String, String> sorted = new TreeMap<>();
                for (String k : p.stringPropertyNames()) sorted.put(k, p.getProperty(k));
                out.append("{");
                boolean first = true;
                for (var e : sorted.entrySet()) {
                    if (!first) out.append(",");
                    first = false;
                    out.append(quote(e.getKey())).append(":").append(quote(e.getValue()));
                }
                out.append("}");
            } catch (IllegalArgumentException e) {
                out.append(quote("error: " + e.getMessage()));
            }
        }
        System.out.println(out.append("}"));
    }
}
