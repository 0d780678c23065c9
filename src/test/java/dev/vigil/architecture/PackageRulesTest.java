package dev.vigil.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The layering of docs/architecture.md, checked on the compiled classes so that it stays true: the maths knows no
 * Kafka, ONNX or video; nothing depends on the command line; the topology reaches images and video only through the
 * engine, and knows no ONNX.
 */
class PackageRulesTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.vigil");
    }

    @Test
    void theMathsKnowsNoKafkaOnnxOrVideo() {
        noClasses().that().resideInAPackage("dev.vigil.padim..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "ai.onnxruntime..",
                        "org.bytedeco.javacv..", "org.bytedeco.ffmpeg..", "dev.vigil.stream..", "dev.vigil.topology..",
                        "dev.vigil.backbone..", "dev.vigil.engine..", "dev.vigil.media..", "dev.vigil.onnx..")
                .because("PaDiM is tested against numpy/scipy vectors with no model, video or broker")
                .check(classes);
    }

    @Test
    void nothingDependsOnTheCommandLine() {
        noClasses().that().resideOutsideOfPackage("dev.vigil.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.vigil.cli..")
                .check(classes);
    }

    @Test
    void theTopologyReachesMediaOnlyThroughTheEngineAndKnowsNoOnnx() {
        noClasses().that().resideInAPackage("dev.vigil.topology..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.vigil.media..", "dev.vigil.backbone..",
                        "dev.vigil.onnx..", "ai.onnxruntime..", "org.bytedeco..")
                .check(classes);
    }

    @Test
    void untrustedInputChecksDependOnNothingOfVigil() {
        noClasses().that().resideInAPackage("dev.vigil.untrusted..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.vigil.padim..", "dev.vigil.stream..",
                        "dev.vigil.topology..", "dev.vigil.engine..", "dev.vigil.media..", "dev.vigil.cli..")
                .check(classes);
    }

    @Test
    void fileModesAndRedactionDependOnNothingOfVigil() {
        noClasses().that().resideInAnyPackage("dev.vigil.files..", "dev.vigil.secrets..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.vigil..")
                .andShould().dependOnClassesThat().resideOutsideOfPackages("dev.vigil.files..", "dev.vigil.secrets..",
                        "java..", "com.fasterxml.jackson.core..", "org.yaml.snakeyaml..")
                .because("every layer writes private files and hides secrets, so these two may lean on no layer")
                .check(classes);
    }
}
