package descent.compiler.diag;

import java.util.ArrayList;
import java.util.List;

/** A model file's text and the name it is reported under. */
public record Source(String name, String text) {
    /** The text of 1-based line {@code line}, without its line terminator ("" when out of range). */
    public String line(int line) {
        List<String> lines = lines();
        return line >= 1 && line <= lines.size() ? lines.get(line - 1) : "";
    }

    private List<String> lines() {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                int end = i > start && text.charAt(i - 1) == '\r' ? i - 1 : i;
                out.add(text.substring(start, end));
                start = i + 1;
            }
        }
        out.add(text.substring(start));
        return out;
    }
}
