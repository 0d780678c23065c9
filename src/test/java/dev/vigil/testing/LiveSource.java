package dev.vigil.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A live camera for tests: a real {@code ffmpeg} process (the system's, which {@code .ci/run} installs) sending a clip
 * in a loop, in real time, as MPEG-TS over UDP to {@code udp://127.0.0.1:<port>}, where ingest listens. Closing it
 * kills the process: to the listener the camera just stops sending, as a camera that loses power does.
 */
public final class LiveSource implements AutoCloseable {
    private final Process process;

    private LiveSource(Process process) {
        this.process = process;
    }

    /** Whether an {@code ffmpeg} executable is on the PATH. */
    public static boolean ffmpegOnPath() {
        String path = System.getenv("PATH");
        return path != null && List.of(path.split(File.pathSeparator)).stream()
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "ffmpeg")));
    }

    /** A UDP port on the loopback interface that nothing listens on now. */
    public static int freeUdpPort() {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts sending {@code clip} (H.264, as {@code VideoWriter} writes it) to {@code udp://127.0.0.1:port}, looped,
     * at its own frame rate; ffmpeg's messages go to {@code log}.
     */
    public static LiveSource udp(Path clip, int port, Path log) throws IOException {
        // -c copy: the clip's key frame every second lets a listener that joins mid-stream start decoding within one;
        // pkt_size 1316: seven TS packets, the usual MPEG-TS over UDP datagram
        Process process = new ProcessBuilder("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
                "-stream_loop", "-1", "-i", clip.toString(), "-c", "copy", "-f", "mpegts",
                "udp://127.0.0.1:" + port + "?pkt_size=1316")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new LiveSource(process);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills ffmpeg (SIGKILL: no goodbye reaches the listener) and waits until it is gone. */
    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("ffmpeg (pid " + process.pid() + ") did not exit after SIGKILL");
        }
    }
}
