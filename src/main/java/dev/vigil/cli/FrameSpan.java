package dev.vigil.cli;

import dev.vigil.stream.CameraFrames;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Which of a camera's frames on the frames topic a command takes (learn, model calibrate): exactly one way of saying it. */
public class FrameSpan {
    @ArgGroup(exclusive = false)
    Range range;

    @Option(names = "--last", paramLabel = "DURATION",
            description = "Frames captured in this last stretch before now: 90s, 10m, 2h, 1d or ISO-8601 (PT10M)")
    String last;

    @Option(names = "--frames", paramLabel = "N", description = "The newest N frames (after sampling)")
    Integer frames;

    static class Range {
        @Option(names = "--from", required = true, paramLabel = "TIME",
                description = "Capture time of the first frame, ISO-8601 (2026-01-05T06:00:00Z)")
        String from;

        @Option(names = "--to", required = true, paramLabel = "TIME", description = "Capture time of the last frame")
        String to;
    }

    /** @param minFrames the fewest frames the command can use, for --frames */
    CameraFrames.Window window(Instant now, int minFrames) {
        if (frames != null) {
            if (frames < minFrames) {
                throw new IllegalArgumentException("--frames must be at least " + minFrames + ", got " + frames);
            }
            return new CameraFrames.Window(null, null, frames);
        }
        if (last != null) {
            return new CameraFrames.Window(now.minus(duration(last)), null, 0);
        }
        Instant from = instant("--from", range.from);
        Instant to = instant("--to", range.to);
        if (!to.isAfter(from)) {
            throw new IllegalArgumentException("--to (" + to + ") must be after --from (" + from + ")");
        }
        return new CameraFrames.Window(from, to, 0);
    }

    private static Instant instant(String option, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 instant such as 2026-01-05T06:00:00Z, got '"
                    + text + "'");
        }
    }

    static Duration duration(String text) {
        return duration(text, "--last");
    }

    /** 90s, 10m, 2h, 1d, or ISO-8601 (PT10M); {@code option} names the option in errors. */
    static Duration duration(String text, String option) {
        String s = text.trim();
        try {
            if (s.toUpperCase().startsWith("P")) {
                return positive(Duration.parse(s), text, option);
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return positive(switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new NumberFormatException();
            }, text, option);
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(option + " must be a duration such as 90s, 10m, 2h, 1d or PT10M, got '"
                    + text + "'");
        }
    }

    private static Duration positive(Duration d, String text, String option) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(option + " must be a positive duration, got '" + text + "'");
        }
        return d;
    }
}
