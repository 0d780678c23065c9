package dev.vigil.padim;

import java.time.Instant;
import java.util.List;

/**
 * Where a model's Gaussians and threshold came from, so that versions can be told apart and compared
 * (docs/model-format.md). The backbone, input size, d, seed and eps are {@link ModelInfo}'s own fields; the threshold
 * rule is {@link ThresholdStats#rule()}.
 *
 * @param kind     {@code train} (files, offline), {@code learn} (a camera's frames on Kafka), {@code merge} (partial
 *                 fits merged), {@code calibrate} (the threshold of {@code basedOn} recomputed, the Gaussians
 *                 unchanged) or {@code refine} (the patch memory of {@code basedOn} with the patches of frames an
 *                 operator confirmed as normal, all else unchanged)
 * @param camera   the camera the frames came from, or null
 * @param sources  the files, or the topic and partition, the frames were read from
 * @param frames   frames used: fitted plus held back (for {@code calibrate}: the frames scored; for {@code refine}:
 *                 the confirmed frames read)
 * @param from     capture time of the first frame used, or null when unknown (image folders)
 * @param to       capture time of the last frame used, or null
 * @param codec    the codec the frames passed through before fitting ({@code jpeg:90}, {@code png}, {@code none})
 * @param sampleFps frames per second of capture time kept when sampling, or 0 for every frame
 * @param basedOn  the version a {@code calibrate} or {@code refine} model copies its Gaussians from, or 0
 */
public record Provenance(String kind, String camera, List<String> sources, long frames, Instant from, Instant to,
                         String codec, double sampleFps, long basedOn) {
    public Provenance {
        sources = sources == null ? List.of() : List.copyOf(sources);
    }

    /** One line for tables: kind, frames, time range, sources. */
    public String summary() {
        StringBuilder s = new StringBuilder(kind).append(", ").append(frames).append(" frames");
        if (from != null && to != null) {
            s.append(", ").append(from).append(" .. ").append(to);
        }
        if (sampleFps > 0) {
            s.append(", ").append(sampleFps).append(" fps");
        }
        if (basedOn > 0) {
            s.append(", from version ").append(basedOn);
        }
        if (!sources.isEmpty()) {
            s.append(", ").append(sources.size() == 1 ? sources.get(0) : sources.get(0) + " +" + (sources.size() - 1));
        }
        return s.toString();
    }
}
