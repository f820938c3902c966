package descent.tests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader for test resources: objects become {@link LinkedHashMap}s (key order kept),
 * arrays {@link List}s, numbers {@link Double}s (so {@code -0.0} keeps its sign), plus String, Boolean and null.
 */
final class MiniJson {
    private final String s;
    private int pos;

    private MiniJson(String s) { this.s = s; }

    static Object parse(String text) {
        MiniJson p = new MiniJson(text);
        Object v = p.value();
        p.ws();
        if (p.pos != p.s.length()) throw p.error("trailing characters");
        return v;
    }

    private Object value() {
        ws();
        if (pos >= s.length()) throw error("unexpected end");
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Map<String, Object> object() {
        Map<String, Object> out = new LinkedHashMap<>();
        pos++;
        ws();
        if (peek() == '}') { pos++; return out; }
        while (true) {
            ws();
            if (peek() != '"') throw error("expected a key");
            String k = string();
            ws();
            expect(':');
            if (out.put(k, value()) != null) throw error("duplicate key " + k);
            ws();
            if (peek() == ',') { pos++; continue; }
            expect('}');
            return out;
        }
    }

    private List<Object> array() {
        List<Object> out = new ArrayList<>();
        pos++;
        ws();
        if (peek() == ']') { pos++; return out; }
        while (true) {
            out.add(value());
            ws();
            if (peek() == ',') { pos++; continue; }
            expect(']');
            return out;
        }
    }

    private String string() {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= s.length()) throw error("unterminated string");
            char c = s.charAt(pos++);
            if (c == '"') return sb.toString();
            if (c != '\\') { sb.append(c); continue; }
            char e = s.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> { sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16)); pos += 4; }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private Double number() {
        int start = pos;
        while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) pos++;
        if (start == pos) throw error("unexpected character '" + s.charAt(pos) + "'");
        try {
            return Double.parseDouble(s.substring(start, pos));
        } catch (NumberFormatException e) {
            throw error("bad number " + s.substring(start, pos));
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, pos)) throw error("expected " + word);
        pos += word.length();
        return v;
    }

    private void expect(char c) {
        if (peek() != c) throw error("expected '" + c + "'");
        pos++;
    }

    private char peek() { return pos < s.length() ? s.charAt(pos) : '\0'; }

    private void ws() { while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++; }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON: " + what + " at offset " + pos);
    }

    /** The "cases" list of a golden JSON file on the test class path, e.g. {@code /tf-golden/ops.json}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> goldenCases(String resource) {
        try (java.io.InputStream in = MiniJson.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is not on the test classpath");
            Map<String, Object> root = (Map<String, Object>) parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            return (List<Map<String, Object>>) (List<?>) root.get("cases");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
