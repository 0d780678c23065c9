package dev.vigil.padim;

import java.nio.charset.StandardCharsets;

/**
 * The two kinds of file in the {@link ModelContainer}: a finished model and a partial fit. Each has its own magic,
 * newest version and payload (float32 Gaussians or float64 running sums), and says what it is when handed to the
 * reader of the other.
 */
enum ModelFileKind {
    MODEL("VIGILPDM", ModelFile.VERSION, "model", "is a finished model, not a partial fit", Float.BYTES,
            ModelFile.PAYLOAD_ORDER),
    PARTIAL_FIT("VIGILPFT", PartialFitFile.VERSION, "partial fit",
            "is a partial fit, not a model: merge partial fits into a model with `vigil model merge`", Double.BYTES,
            PartialFitFile.PAYLOAD_ORDER);

    private final byte[] magic;
    private final int newestVersion;
    private final String noun;
    private final String foundInstead;
    private final int valueBytes;
    private final String payloadOrder;

    ModelFileKind(String magic, int newestVersion, String noun, String foundInstead, int valueBytes,
                  String payloadOrder) {
        this.magic = magic.getBytes(StandardCharsets.US_ASCII);
        this.newestVersion = newestVersion;
        this.noun = noun;
        this.foundInstead = foundInstead;
        this.valueBytes = valueBytes;
        this.payloadOrder = payloadOrder;
    }

    byte[] magic() {
        return magic.clone();
    }

    int newestVersion() {
        return newestVersion;
    }

    /** "model" or "partial fit", for messages. */
    String noun() {
        return noun;
    }

    /** What a file of this kind is called when found where the other kind was expected. */
    String foundInstead() {
        return foundInstead;
    }

    ModelFileKind other() {
        return this == MODEL ? PARTIAL_FIT : MODEL;
    }

    /** The header's {@code payload_order}: the layout of one payload block. */
    String payloadOrder() {
        return payloadOrder;
    }

    /**
     * One block's size: {@code valueBytes x positions x (d + d(d+1)/2)}. Callers bound positions x d to an int
     * first ({@link ModelHeader}), so the product cannot overflow.
     */
    long payloadBytes(int positions, int features) {
        return (long) valueBytes * positions * (features + (long) features * (features + 1) / 2);
    }

    /** The kind whose payload is laid out as {@code order} says, or null for a layout this Vigil does not know. */
    static ModelFileKind ofPayloadOrder(String order) {
        for (ModelFileKind k : values()) {
            if (k.payloadOrder.equals(order)) {
                return k;
            }
        }
        return null;
    }
}
