package dev.vigil.secrets;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.util.regex.Pattern;

/**
 * Keeps credentials out of what Vigil prints: logs, error messages, pages. Configuration files hold camera URLs with
 * passwords, Kafka's SASL and key-store passwords, tokens; a message about such a file names the file and the line,
 * never the value. Logs and terminals are read by far more people than may use those credentials.
 */
public final class Redaction {
    /** What replaces a hidden value. */
    public static final String HIDDEN = "***";

    /**
     * A URL's scheme and userinfo. The userinfo ends at the last {@code @} before the path, query or fragment, as
     * FFmpeg splits a URL, so a password with a raw {@code @} in it is hidden whole.
     */
    private static final Pattern USERINFO = Pattern.compile("\\b([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\\s]+@");

    /** Names of settings whose values are secret: passwords, tokens, keys, JAAS configurations. */
    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(password|passwd|pwd|secret|token|credential|jaas\\.config|api[_.-]?key|private[_.-]?key).*");

    /**
     * A setting of such a name with its value, as a properties line ({@code name=value}, {@code name: value}), a
     * YAML entry or a JSON member; the value runs to the end of the line, since a JAAS configuration holds spaces
     * and quotes. A name that is the end of a path ({@code /etc/vigil/token: it is empty}) is none.
     */
    private static final Pattern SECRET_SETTING = Pattern.compile("(?i)(?<![\\w./\\\\-])([\"']?[\\w.-]*"
            + "(?:password|passwd|pwd|secret|token|credential|jaas\\.config|api[_.-]?key|private[_.-]?key)"
            + "[\\w.-]*[\"']?[ \\t]*[:=][ \\t]*)[^\\r\\n]+");

    private Redaction() {
    }

    /** The text with the userinfo of every URL in it replaced by {@code ***}. Null stays null. */
    public static String urls(String text) {
        return text == null ? null : USERINFO.matcher(text).replaceAll("$1" + HIDDEN + "@");
    }

    /**
     * The text with URL credentials hidden ({@link #urls}) and the value of every setting with a secret's name
     * ({@link #isSecretName}) replaced by {@code ***}, up to the end of its line. Null stays null.
     */
    public static String text(String text) {
        return text == null ? null : SECRET_SETTING.matcher(urls(text)).replaceAll("$1" + HIDDEN);
    }

    /** Whether a setting of this name holds a secret: password, passwd, secret, token, sasl.jaas.config, ... */
    public static boolean isSecretName(String name) {
        return name != null && SECRET_NAME.matcher(name).matches();
    }

    /**
     * What is wrong with a YAML (or JSON) file, and where, without the parser's quote of the offending line: that
     * line may hold a camera's password. Says the problem, its line and column, and the construct it was in
     * ("while scanning a quoted scalar", from line L).
     */
    public static String syntaxError(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MarkedYAMLException yaml && yaml.getProblem() != null) {
                StringBuilder s = new StringBuilder(text(yaml.getProblem()));
                at(s, yaml.getProblemMark(), "");
                if (yaml.getContext() != null) {
                    s.append(", ").append(text(yaml.getContext()));
                    at(s, yaml.getContextMark(), "from ");
                }
                return s.toString();
            }
        }
        // Jackson's own messages ("Duplicate field 'id'") name fields, not values; no quote of the line is kept
        String message = e.getOriginalMessage();
        String firstLine = message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse("");
        JsonLocation where = e.getLocation();
        return text(firstLine) + (where == null || where.getLineNr() < 1 ? ""
                : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")");
    }

    private static void at(StringBuilder s, Mark mark, String prefix) {
        if (mark != null) {
            // snakeyaml counts from 0
            s.append(" (").append(prefix).append("line ").append(mark.getLine() + 1).append(", column ")
                    .append(mark.getColumn() + 1).append(')');
        }
    }
}
