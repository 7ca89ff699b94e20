import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * java.util.regex as Rundeck uses it, for RegexOracleTests: each input line is
 * "base64(pattern) base64(text)"; each output line is "M" or "-" (matches()), then for every
 * find() the groups, base64, comma-separated ("~" for a group that took no part), or "E" when
 * the pattern does not compile.
 */
public class RegexOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Base64.Decoder decoder = Base64.getDecoder();
        Base64.Encoder encoder = Base64.getEncoder();
        String line;
        while ((line = reader.readLine()) != null) {
            String[] parts = line.split(" ", -1);
            String pattern = new String(decoder.decode(parts[0]), StandardCharsets.UTF_8);
            String text = new String(decoder.decode(parts[1]), StandardCharsets.UTF_8);
            StringBuilder out = new StringBuilder();
            try {
                Matcher matcher = Pattern.compile(pattern).matcher(text);
                out.append(matcher.matches() ? "M" : "-");
                matcher.reset();
                while (matcher.find()) {
                    out.append(" ");
                    for (int group = 0; group <= matcher.groupCount(); group++) {
                        if (group > 0) out.append(",");
                        String found = matcher.group(group);
                        out.append(found == null ? "~" : encoder.encodeToString(found.getBytes(StandardCharsets.UTF_8)));
                    }
                }
            } catch (PatternSyntaxException e) {
                out.setLength(0);
                out.append("E");
            }
            System.out.println(out);
        }
    }
}
