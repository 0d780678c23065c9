package dev.vigil.stream;

import dev.vigil.media.GrayPng;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.Base64;

/**
 * One scored frame on {@link Topics#ANOMALY_MAPS} (docs/topics.md): key the camera id, record timestamp the capture
 * time, value this record as JSON. The map travels as an 8-bit grey PNG, base64: pixel value {@code v} stands for
 * the distance {@code v / 255 * scale}, with {@code scale} the map's maximum (the score), so the map costs a few KB
 * while {@code score} keeps full precision.
 *
 * @param timestamp    capture time, epoch milliseconds
 * @param threshold    the model's threshold (NaN serialised as null when the model has none)
 * @param anomalous    score above threshold
 * @param modelVersion version of the model that scored the frame
 * @param scoredAt     when the score was emitted, epoch milliseconds (latency = scoredAt - timestamp)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record AnomalyMapRecord(String camera, long seq, long timestamp, double score, Double threshold,
                               boolean anomalous, @JsonProperty("model_version") long modelVersion,
                               FrameRef frame, @JsonProperty("scored_at") long scoredAt, EncodedMap map) {

    /** Where the frame came from. */
    public record FrameRef(int width, int height, String source, @JsonProperty("source_frame") long sourceFrame,
                           String codec) {
    }

    /**
     * The map at reduced resolution: each encoded pixel is the mean of a {@code step x step} block of the full map
     * (the map is a blurred bilinear upsampling of the patch grid, so at the grid's own step little is lost), as an
     * 8-bit grey PNG in base64: grey level {@code v} stands for the distance {@code v / 255 * scale}.
     *
     * @param encoding  "png-gray8"
     * @param width     encoded width: ceil(mapWidth / step)
     * @param step      full-map pixels per encoded pixel, in each direction
     * @param mapWidth  the full map's width: the model's input width
     * @param scale     the distance grey level 255 stands for: the encoded map's maximum
     * @param data      the PNG, base64
     */
    public record EncodedMap(String encoding, int width, int height, int step,
                             @JsonProperty("map_width") int mapWidth, @JsonProperty("map_height") int mapHeight,
                             double scale, String data) {
        public static final String PNG_GRAY8 = "png-gray8";

        /** Block-averages a map ({@code [height * width]}) by {@code step} and quantises it to 8 bits. */
        public static EncodedMap encode(float[] map, int mapWidth, int mapHeight, int step) {
            int width = (mapWidth + step - 1) / step;
            int height = (mapHeight + step - 1) / step;
            // row by row into block sums: one pass over the map, in memory order
            float[] pooled = new float[width * height];
            for (int yy = 0; yy < mapHeight; yy++) {
                int block = yy / step * width;
                int row = yy * mapWidth;
                for (int bx = 0, xx = 0; bx < width; bx++) {
                    float sum = 0;
                    for (int end = Math.min(mapWidth, xx + step); xx < end; xx++) {
                        sum += map[row + xx];
                    }
                    pooled[block + bx] += sum;
                }
            }
            float max = 0;
            for (int y = 0; y < height; y++) {
                int rows = Math.min(mapHeight, (y + 1) * step) - y * step;
                for (int x = 0; x < width; x++) {
                    int cols = Math.min(mapWidth, (x + 1) * step) - x * step;
                    float mean = pooled[y * width + x] / (rows * cols);
                    pooled[y * width + x] = mean;
                    max = Math.max(max, mean);
                }
            }
            byte[] pixels = new byte[width * height];
            float k = max > 0 ? 255f / max : 0;
            for (int i = 0; i < pooled.length; i++) {
                pixels[i] = (byte) Math.round(Math.max(0, pooled[i]) * k);
            }
            byte[] png = GrayPng.encode(pixels, width, height);
            return new EncodedMap(PNG_GRAY8, width, height, step, mapWidth, mapHeight, max,
                    Base64.getEncoder().encodeToString(png));
        }

        /** The encoded map as distances, {@code [height * width]} at the encoded resolution (to within scale / 510). */
        public float[] decode() throws IOException {
            if (!PNG_GRAY8.equals(encoding)) {
                throw new IOException("unknown anomaly map encoding '" + encoding + "'");
            }
            BufferedImage img = dev.vigil.media.FrameCodec.readImage(Base64.getDecoder().decode(data));
            if (img == null || img.getWidth() != width || img.getHeight() != height) {
                throw new IOException("anomaly map is not a " + width + "x" + height + " PNG");
            }
            float[] map = new float[width * height];
            var raster = img.getRaster();
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    map[y * width + x] = (float) (raster.getSample(x, y, 0) / 255.0 * scale);
                }
            }
            return map;
        }
    }

    public byte[] toJson() {
        return RecordJson.write(this);
    }

    public static AnomalyMapRecord fromJson(byte[] value) {
        return RecordJson.read(value, AnomalyMapRecord.class, "anomaly map record");
    }
}
