package dev.vigil.cli;

import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelChunks;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.Topics;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;

/** Where a model made from the stream goes (learn, model calibrate): a file, and with --publish a new version. */
public class ModelOutputOptions {
    @Option(names = "--out", paramLabel = "<model>",
            description = "Model file to write (default: models/<camera>-<creation time in ms>.vgm)")
    Path out;

    @Option(names = "--publish", description = "Put the model on the models topic as the camera's new version")
    boolean publish;

    @Option(names = "--shadow",
            description = "With --publish: a candidate, scored beside the active model (on vigil.shadow) until "
                    + "`model activate` promotes it; it does not become active by being newest")
    boolean shadow;

    @Option(names = "--keep", paramLabel = "N", defaultValue = "3",
            description = "With --publish: versions of the camera's model kept on the topic (default: ${DEFAULT-VALUE})")
    int keep;

    /** Where models go without --out. */
    static final Path DEFAULT_FOLDER = Path.of("models");

    /** Checks, before any fit, that the model can be written where it goes (--out, else the default folder). */
    void requireWritable() {
        if (out != null) {
            CommandFiles.requireWritableFile(out, "the model");
        } else {
            CommandFiles.requireWritableFolder(DEFAULT_FOLDER, "the model");
        }
    }

    /** --out, else models/<camera>-<created ms>.vgm; its folder is created. */
    Path file(String camera, Instant created) throws IOException {
        return file(out, camera, created);
    }

    /** {@code out}, else models/<camera>-<created ms>.vgm; its folder is created. */
    static Path file(Path out, String camera, Instant created) throws IOException {
        return create(out != null ? out : inFolder(DEFAULT_FOLDER, camera, created));
    }

    /** {@code <folder>/<camera>-<created ms>.vgm}, the camera id made safe for a file name; the folder is created. */
    static Path fileIn(Path folder, String camera, Instant created) throws IOException {
        return create(inFolder(folder, camera, created));
    }

    private static Path inFolder(Path folder, String camera, Instant created) {
        return folder.resolve(camera.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + created.toEpochMilli() + ".vgm");
    }

    private static Path create(Path file) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            dev.vigil.files.PrivateFiles.createDirectories(file.toAbsolutePath().getParent());
        }
        return file;
    }

    /** With --publish: the file as the camera's new version (the time now), reported on {@code report}. */
    void publishIfAsked(KafkaConnection connection, String camera, Path file, PrintWriter report)
            throws IOException, InterruptedException {
        if (!publish) {
            return;
        }
        long version = System.currentTimeMillis();
        if (shadow) {
            // before the chunks: the scorer must know the version is a candidate when it becomes complete
            ModelPublisher.shadow(connection, camera, version);
        }
        int chunks = ModelPublisher.publish(connection, camera, file, version, ModelChunks.DEFAULT_CHUNK_BYTES, keep);
        report.printf("published it for camera %s as version %d%s: %d chunks on %s%n", camera, version,
                shadow ? " (candidate, scored in shadow)" : "", chunks, Topics.MODELS.name());
    }
}
