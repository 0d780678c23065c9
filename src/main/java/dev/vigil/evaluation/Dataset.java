package dev.vigil.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.media.MediaInputs;
import dev.vigil.media.VideoFrames;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * An evaluation dataset: its normal training files and its labelled test items.
 *
 * @param train       images or videos of normal data
 * @param test        test items in decoding order (one per image, or per frame of each test clip)
 * @param testFiles   the files the test items come from, in order
 * @param withoutMask anomalous test items that have no mask (left out of pixel metrics)
 */
public record Dataset(Path root, Layout layout, List<Path> train, List<Path> testFiles, List<TestItem> test,
                      List<TestItem> withoutMask) {

    public static Dataset open(Path root, Layout layout) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("dataset folder " + root + " does not exist");
        }
        return layout == Layout.MVTEC ? mvtec(root) : clips(root);
    }

    private static List<Path> list(Path dir, java.util.function.Predicate<Path> keep) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("expected folder " + dir + " is missing");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(keep).sorted().toList();
        }
    }

    private static Dataset mvtec(Path root) throws IOException {
        List<Path> train = list(root.resolve("train").resolve("good"), MediaInputs::isImage);
        List<Path> testFiles = new ArrayList<>();
        List<TestItem> test = new ArrayList<>();
        List<Path> types;
        try (Stream<Path> s = Files.list(root.resolve("test"))) {
            types = s.filter(Files::isDirectory).sorted().toList();
        }
        for (Path typeDir : types) {
            String type = typeDir.getFileName().toString();
            boolean anomalous = !type.equals("good");
            for (Path image : list(typeDir, MediaInputs::isImage)) {
                String name = image.getFileName().toString();
                String stem = name.substring(0, name.lastIndexOf('.'));
                Path mask = root.resolve("ground_truth").resolve(type).resolve(stem + "_mask.png");
                testFiles.add(image);
                test.add(new TestItem(image, type, 0, anomalous, anomalous && Files.isRegularFile(mask) ? mask : null));
            }
        }
        return finish(root, Layout.MVTEC, train, testFiles, test);
    }

    private static Dataset clips(Path root) throws IOException {
        List<Path> train = list(root.resolve("train"), MediaInputs::isVideo);
        Path testDir = root.resolve("test");
        Path labelsFile = testDir.resolve("labels.json");
        if (!Files.isRegularFile(labelsFile)) {
            throw new IOException("clips dataset " + root + " has no test/labels.json");
        }
        JsonNode clips = new ObjectMapper().readTree(labelsFile.toFile()).path("clips");
        List<Path> testFiles = list(testDir, MediaInputs::isVideo);
        List<TestItem> test = new ArrayList<>();
        for (Path video : testFiles) {
            String name = video.getFileName().toString();
            String clip = name.substring(0, name.lastIndexOf('.'));
            JsonNode labels = clips.path(clip).path("labels");
            if (!labels.isArray()) {
                throw new IOException(labelsFile + " has no per-frame labels for clip " + clip);
            }
            int frames = countFrames(video);
            if (frames != labels.size()) {
                throw new IOException("clip " + video + " decodes to " + frames + " frames but " + labelsFile
                        + " labels " + labels.size());
            }
            Path gt = testDir.resolve(clip + "_gt");
            for (int i = 0; i < frames; i++) {
                test.add(new TestItem(video, clip, i, labels.get(i).asInt() != 0, maskFile(gt, i)));
            }
        }
        return finish(root, Layout.CLIPS, train, testFiles, test);
    }

    private static int countFrames(Path video) throws IOException {
        int n = 0;
        try (VideoFrames frames = VideoFrames.open(video.toString())) {
            while (frames.read() != null) {
                n++;
            }
        }
        return n;
    }

    /** Masks are named by 0-based frame index, zero-padded to 3 digits (or not padded). */
    private static Path maskFile(Path gt, int frame) {
        for (String name : new String[]{String.format("%03d.png", frame), frame + ".png", String.format("%04d.png", frame)}) {
            Path p = gt.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static Dataset finish(Path root, Layout layout, List<Path> train, List<Path> testFiles,
                                  List<TestItem> test) throws IOException {
        if (train.isEmpty()) {
            throw new IOException("dataset " + root + " has no training data for layout " + layout.label());
        }
        if (test.isEmpty()) {
            throw new IOException("dataset " + root + " has no test data for layout " + layout.label());
        }
        List<TestItem> withoutMask = test.stream().filter(t -> t.anomalous() && t.mask() == null).toList();
        return new Dataset(root, layout, train, testFiles, test, withoutMask);
    }
}
