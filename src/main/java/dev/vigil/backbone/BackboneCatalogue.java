package dev.vigil.backbone;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * The ImageNet classifiers {@code vigil backbone fetch} knows: where the ONNX model zoo keeps each file, its size and
 * sha256 where known (from the zoo's Git LFS records), and the tensors that become layer1..3. The zoo's files are
 * fetched from {@link #DEFAULT_MIRROR} or from a mirror of the same layout ({@code --mirror}, {@code $VIGIL_BACKBONE_MIRROR}).
 */
public final class BackboneCatalogue {
    public static final String MIRROR_ENV = "VIGIL_BACKBONE_MIRROR";
    /** GitHub serves the zoo's LFS files through this path (redirected to its media host). */
    public static final String DEFAULT_MIRROR = "https://github.com/onnx/models/raw/main/";

    /**
     * @param path   the file's path in the ONNX model zoo repository
     * @param sha256 the file's SHA-256, or null when not recorded here
     * @param size   the file's size in bytes, or 0 when not recorded here
     * @param layers the tensors that become layer1, layer2, layer3 (the ends of the stride 4, 8 and 16 stages)
     */
    public record Entry(String name, String description, String path, String sha256, long size, List<String> layers) {
        public URI url(String mirror) {
            return URI.create((mirror.endsWith("/") ? mirror : mirror + "/") + path);
        }
    }

    private static final List<Entry> ENTRIES = List.of(
            new Entry("mobilenetv2", "MobileNetV2, torchvision ImageNet weights (zoo: mobilenet_v2 torch_hub, opset 17)",
                    "Computer_Vision/mobilenet_v2_Opset17_torch_hub/mobilenet_v2_Opset17.onnx",
                    "1acdc7323ff91c6e47866b8507af26514b1c2d94f765afc0d210277ea084eb47", 13_992_248L,
                    List.of("/features/features.3/Add_output_0", "/features/features.6/Add_output_0",
                            "/features/features.13/Add_output_0")),
            new Entry("resnet18", "ResNet-18, torchvision ImageNet weights (zoo: resnet18 torch_hub, opset 17)",
                    "Computer_Vision/resnet18_Opset17_torch_hub/resnet18_Opset17.onnx",
                    "eef70310eb26bdbc70babb290ee3239599ea9aed406bade711e3d2693b9d20e8", 46_748_516L,
                    List.of("/layer1/layer1.1/relu_1/Relu_output_0", "/layer2/layer2.1/relu_1/Relu_output_0",
                            "/layer3/layer3.1/relu_1/Relu_output_0")),
            new Entry("wide_resnet50_2", "Wide-ResNet-50-2, torchvision ImageNet weights, the PaDiM paper's best"
                    + " (zoo: wide_resnet50_2 torch_hub, opset 17)",
                    "Computer_Vision/wide_resnet50_2_Opset17_torch_hub/wide_resnet50_2_Opset17.onnx",
                    "4f867d0ce1aee260b736c1c3575f01d0d5552ee3cbd6376a37981c293c10b133", 275_421_011L,
                    List.of("/layer1/layer1.2/relu_2/Relu_output_0", "/layer2/layer2.3/relu_2/Relu_output_0",
                            "/layer3/layer3.5/relu_2/Relu_output_0")),
            new Entry("resnet50v2", "ResNet-50 v2, MXNet GluonCV ImageNet weights (zoo: resnet50-v2-7), the source of"
                    + " ../shared/backbones/resnet50v2-l123",
                    "validated/vision/classification/resnet/model/resnet50-v2-7.onnx", null, 0L,
                    List.of("resnetv24_stage1__plus2", "resnetv24_stage2__plus3", "resnetv24_stage3__plus5")));

    private BackboneCatalogue() {
    }

    public static List<Entry> entries() {
        return ENTRIES;
    }

    public static Optional<Entry> find(String name) {
        return ENTRIES.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public static List<String> names() {
        return ENTRIES.stream().map(Entry::name).toList();
    }
}
