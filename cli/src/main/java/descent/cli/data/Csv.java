package descent.cli.data;

import descent.runtime.DescentException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A CSV file as {@code descent train} reads it: UTF-8 (a leading byte-order mark is ignored), comma-separated,
 * a header row of column names, then one data row per line (LF or CRLF). Fields may be quoted with double
 * quotes ({@code ""} inside quotes is a quote). Surrounding spaces are trimmed; blank lines are skipped.
 * Every row must have as many fields as the header. Errors name the file and line.
 */
public record Csv(String file, List<String> header, List<String[]> rows, int[] lines) {

    public static Csv read(Path path) {
        String name = path.toString();
        byte[] bytes;
        try {
            if (Files.isDirectory(path)) throw new DescentException(name + ": cannot read: it is a directory");
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new DescentException(name + ": no such file");
        } catch (AccessDeniedException e) {
            throw new DescentException(name + ": cannot read: permission denied");
        } catch (IOException e) {
            throw new DescentException(name + ": cannot read: " + e.getMessage());
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DescentException(name + ": not a UTF-8 text file");
        }
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        return parse(name, text);
    }

    static Csv parse(String name, String text) {
        List<String[]> records = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        int pos = 0, line = 1, n = text.length();
        while (pos < n) {
            int startLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false, wasQuoted = false, blank = true;
            while (true) {
                if (pos >= n) { fields.add(finish(field, wasQuoted)); break; }
                char c = text.charAt(pos++);
                if (quoted) {
                    if (c == '"') {
                        if (pos < n && text.charAt(pos) == '"') { field.append('"'); pos++; }
                        else quoted = false;
                    } else {
                        if (c == '\n') line++;
                        field.append(c);
                    }
                    continue;
                }
                if (c == '\r' && pos < n && text.charAt(pos) == '\n') continue;
                if (c == '\n' || c == '\r') { fields.add(finish(field, wasQuoted)); line++; break; }
                if (c == ',') { fields.add(finish(field, wasQuoted)); field.setLength(0); wasQuoted = false; blank = false; continue; }
                if (c == '"') {
                    if (wasQuoted || !field.toString().isBlank()) {
                        throw new DescentException(name + ":" + line + ": malformed CSV: a quote inside an unquoted field"
                                + " (quote the whole field and double the quote: \"a\"\"b\")");
                    }
                    field.setLength(0);
                    quoted = true;
                    wasQuoted = true;
                    blank = false;
                    continue;
                }
                if (wasQuoted) {
                    if (c == ' ' || c == '\t') continue;
                    throw new DescentException(name + ":" + line + ": malformed CSV: text after a closing quote");
                }
                if (c != ' ' && c != '\t') blank = false;
                field.append(c);
            }
            if (quoted) throw new DescentException(name + ":" + startLine + ": malformed CSV: a quoted field is not closed");
            if (blank && fields.size() == 1 && fields.get(0).isEmpty()) continue;
            records.add(fields.toArray(String[]::new));
            lineNumbers.add(startLine);
        }
        if (records.isEmpty()) throw new DescentException(name + ": the CSV file is empty; it needs a header row");
        String[] head = records.remove(0);
        lineNumbers.remove(0);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < head.length; i++) {
            if (head[i].isEmpty()) {
                throw new DescentException(name + ":" + 1 + ": column " + (i + 1) + " of the header has no name");
            }
            if (!seen.add(head[i])) throw new DescentException(name + ":1: the header names column `" + head[i] + "` twice");
        }
        for (int r = 0; r < records.size(); r++) {
            if (records.get(r).length != head.length) {
                throw new DescentException(name + ":" + lineNumbers.get(r) + ": " + records.get(r).length + " field"
                        + (records.get(r).length == 1 ? "" : "s") + ", but the header has " + head.length);
            }
        }
        return new Csv(name, List.of(head), records, lineNumbers.stream().mapToInt(Integer::intValue).toArray());
    }

    private static String finish(StringBuilder field, boolean quoted) {
        return quoted ? field.toString() : field.toString().strip();
    }
}
