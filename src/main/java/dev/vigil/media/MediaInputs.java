package dev.vigil.media;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.stream.Stream;

/** Still images and videos given on a command line, as one lazy stream of frames. */
public final class MediaInputs {
    /** PNG and JPEG only: the formats whose header {@link ImageHeader} checks before anything is decoded. */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg");
    public static final Set<String> VIDEO_EXTENSIONS = Set.of("mp4", "avi", "mkv", "mov", "webm", "m4v", "ts", "mpg");

    private MediaInputs() {
    }

    public static boolean isImage(Path file) {
        return IMAGE_EXTENSIONS.contains(extension(file));
    }

    public static boolean isVideo(Path file) {
        return VIDEO_EXTENSIONS.contains(extension(file));
    }

    private static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Folders become their images and videos (sorted by name, not recursive); files stay as given. Fails, naming the
     * path, when an input does not exist, is not an image or video, or a folder holds none.
     */
    public static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                try (Stream<Path> list = Files.list(input)) {
                    List<Path> media = list.filter(Files::isRegularFile).filter(p -> isImage(p) || isVideo(p))
                            .sorted().toList();
                    if (media.isEmpty()) {
                        throw new MediaException("input folder " + input + " holds no images ("
                                + String.join(", ", IMAGE_EXTENSIONS) + ") or videos (" + String.join(", ", VIDEO_EXTENSIONS) + ")");
                    }
                    files.addAll(media);
                }
            } else if (Files.isRegularFile(input)) {
                if (!isImage(input) && !isVideo(input)) {
                    throw new MediaException("input " + input + " is neither an image nor a video (by its extension)");
                }
                files.add(input);
            } else {
                throw new MediaException("input " + input + " does not exist");
            }
        }
        return files;
    }

    /** All frames of the files in order, decoded lazily; a decoding failure surfaces as UncheckedIOException. */
    public static Iterator<SourceFrame> frames(List<Path> files) {
        return new Iterator<>() {
            private int file = 0;
            private VideoFrames video;
            private SourceFrame next = advance();

            private SourceFrame advance() {
                try {
                    while (true) {
                        if (video != null) {
                            VideoFrame frame = video.read();
                            if (frame != null) {
                                return new SourceFrame(video.source(), frame.index(), frame.image());
                            }
                            video.close();
                            video = null;
                        }
                        if (file >= files.size()) {
                            return null;
                        }
                        Path path = files.get(file++);
                        if (isVideo(path)) {
                            video = VideoFrames.open(path.toString());
                        } else {
                            return new SourceFrame(path.toString(), 0, ImageFiles.read(path));
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public SourceFrame next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                SourceFrame out = next;
                next = advance();
                return out;
            }
        };
    }

    /** The images alone of a stream of frames. */
    public static Iterator<RgbImage> images(Iterator<SourceFrame> frames) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return frames.hasNext();
            }

            @Override
            public RgbImage next() {
                return frames.next().image();
            }
        };
    }
}
