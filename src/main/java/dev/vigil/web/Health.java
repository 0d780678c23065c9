package dev.vigil.web;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The probes of orchestrators: {@code GET /health/live} and {@code GET /health/ready}, each answering 200 when its
 * check is up and 503 when it is down, with a JSON body ({@code {"status": "UP", ...details}}). They are never
 * behind the dashboard's authentication. The caller hands the two checks; nothing here knows what they check.
 */
public record Health(Supplier<Check> liveness, Supplier<Check> readiness) {
    public static final String LIVE_PATH = "/health/live";
    public static final String READY_PATH = "/health/ready";

    /** The outcome of one check: up or down, and details shown in the body (insertion order kept). */
    public record Check(boolean up, Map<String, Object> details) {
        public Check {
            details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        }
    }

    /** The body and status of one probe; a check that throws is a failed check, said as such. */
    static Map.Entry<Integer, Map<String, Object>> answer(Supplier<Check> check) {
        Map<String, Object> body = new LinkedHashMap<>();
        try {
            Check result = check.get();
            body.put("status", result.up() ? "UP" : "DOWN");
            body.putAll(result.details());
            return Map.entry(result.up() ? 200 : 503, body);
        } catch (RuntimeException e) {
            body.put("status", "DOWN");
            body.put("error", String.valueOf(e.getMessage()));
            return Map.entry(503, body);
        }
    }
}
