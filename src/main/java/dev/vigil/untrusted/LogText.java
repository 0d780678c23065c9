package dev.vigil.untrusted;

/**
 * Text from outside (record keys, headers, file contents, request paths) made safe to log: control characters,
 * line breaks and escape sequences become visible escapes, so a value cannot forge a log line or colour a terminal,
 * and a long value is cut, so it cannot flood the log.
 */
public final class LogText {
    /** Longer values are cut to this many characters and marked with their full length. */
    public static final int MAX_LENGTH = 200;

    private LogText() {
    }

    /** {@code value} with every control or format character escaped as {@code \\uXXXX} (or \\n, \\r, \\t), cut. */
    public static String escape(Object value) {
        if (value == null) {
            return "null";
        }
        String s = value.toString();
        int length = s.length();
        StringBuilder out = new StringBuilder(Math.min(length, MAX_LENGTH) + 16);
        int end = Math.min(length, MAX_LENGTH);
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    int type = Character.getType(c);
                    if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                            || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE
                            || type == Character.UNASSIGNED) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (length > MAX_LENGTH) {
            out.append("...(").append(length).append(" chars)");
        }
        return out.toString();
    }

    /** {@link #escape} in single quotes, for naming a value inside a message. */
    public static String quote(Object value) {
        return "'" + escape(value) + "'";
    }
}
