package dev.vigil.stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The map's wire form: block means at the grid's step, 8 bits against the maximum, JSON both ways. */
class AnomalyMapRecordTest {
    @Test
    void theMapTravelsAsBlockMeansWithinOneQuantisationStep() throws Exception {
        int w = 18;
        int h = 8;
        float[] map = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                map[y * w + x] = x * 0.5f + y;
            }
        }
        var encoded = AnomalyMapRecord.EncodedMap.encode(map, w, h, 4);
        assertThat(encoded.width()).isEqualTo(5);
        assertThat(encoded.height()).isEqualTo(2);
        float[] decoded = encoded.decode();
        // block (4, 1): columns 16-17, rows 4-7: mean 0.5 * 16.5 + 5.5
        assertThat(decoded[1 * 5 + 4]).isCloseTo(13.75f, within((float) encoded.scale() / 510 + 1e-6f));
        assertThat(decoded[0]).isCloseTo(0.75f + 1.5f, within((float) encoded.scale() / 510 + 1e-6f));

        AnomalyMapRecord record = new AnomalyMapRecord("cam", 3, 1000, 14.25, null, false, 9,
                new AnomalyMapRecord.FrameRef(w, h, "file.mp4", 3, "png"), 1010, encoded);
        AnomalyMapRecord back = AnomalyMapRecord.fromJson(record.toJson());
        assertThat(back).usingRecursiveComparison().isEqualTo(record);
        assertThat(new String(record.toJson())).contains("\"threshold\":null", "\"model_version\":9", "\"map_width\":18");
    }
}
