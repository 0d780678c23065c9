package dev.vigil.stream;

import java.util.Map;

/**
 * One of Vigil's topics: its name, partition count and topic configs (see docs/topics.md).
 *
 * @param partitions frames, maps and alerts are keyed by camera id, so a camera's records stay in order on one
 *                   partition and the instance scoring that partition holds that camera's model
 */
public record Topic(String name, int partitions, Map<String, String> configs) {
}
