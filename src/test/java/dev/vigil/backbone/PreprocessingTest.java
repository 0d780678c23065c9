package dev.vigil.backbone;

import dev.vigil.media.RgbImage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PreprocessingTest {
    private static RgbImage image(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 7);
        }
        return new RgbImage(w, h, px);
    }

    @Test
    void resizeKeepsTheWholeFrame() {
        RgbImage out = new Preprocessing(Preprocessing.Mode.RESIZE, 336, 224).apply(image(360, 240));
        assertThat(out.width()).isEqualTo(336);
        assertThat(out.height()).isEqualTo(224);
    }

    @Test
    void resizeCropResizesTheShorterSideTo256ThenCropsTheCentre() {
        Preprocessing p = new Preprocessing(Preprocessing.Mode.RESIZE_CROP, 224, 224);
        assertThat(p.resizeShorterSide()).isEqualTo(256);
        RgbImage out = p.apply(image(256, 256));
        assertThat(out.width()).isEqualTo(224);
        // a mask goes through the same geometry: its centre stays where the frame's centre is
        boolean[] mask = new boolean[256 * 256];
        mask[128 * 256 + 128] = true;
        boolean[] cropped = p.applyToMask(mask, 256, 256);
        assertThat(cropped).hasSize(224 * 224);
        assertThat(cropped[(128 - 16) * 224 + (128 - 16)]).isTrue();
    }

    @Test
    void sizesParseAndBadOnesAreExplained() {
        assertThat(Preprocessing.parseSize("336x224")).containsExactly(336, 224);
        assertThatThrownBy(() -> Preprocessing.parseSize("336")).hasMessageContaining("WIDTHxHEIGHT");
        assertThatThrownBy(() -> Preprocessing.Mode.parse("crop")).hasMessageContaining("resize or resize-crop");
    }

    @Test
    void normalisationFollowsTheManifest() {
        BackboneManifest.Input input = new BackboneManifest.Input("image", "NCHW", "RGB", 1 / 255.0,
                new double[]{0.485, 0.456, 0.406}, new double[]{0.229, 0.224, 0.225}, null, null);
        InputTensor tensor = new InputTensor(input, new Preprocessing(Preprocessing.Mode.RESIZE, 16, 16));
        byte[] px = new byte[16 * 16 * 3];
        px[0] = (byte) 255; // R of pixel 0
        float[] out = new float[3 * 16 * 16];
        tensor.write(new RgbImage(16, 16, px), out, 0);
        assertThat(out[0]).isCloseTo((float) ((1.0 - 0.485) / 0.229), org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(out[256]).isCloseTo((float) (-0.456 / 0.224), org.assertj.core.data.Offset.offset(1e-5f));
    }
}
