package dev.vigil.engine;

/**
 * The result of scoring one frame.
 *
 * @param score the image score, the maximum of the map
 * @param map   the anomaly map at the backbone's input size, {@code [height][width]}
 */
public record Detection(float score, float[] map, int width, int height) {
}
