package dev.vigil.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code vigil serve} (or any vigil command) in a child JVM on this JVM's class path: a real separate instance, that
 * can be killed as a crash is (SIGKILL, nothing flushed or committed) or stopped as an orchestrator stops it (SIGTERM).
 * Its output goes to a log file.
 */
public final class ServeProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private ServeProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code vigil <args>} with the given extra JVM options (e.g. a heap size). */
    public static ServeProcess start(List<String> jvmOptions, List<String> args, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.vigil.cli.VigilCommand"));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // a child must not outlive this JVM (a bench stopped with Ctrl-C), scoring on against a broker that is gone
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "vigil-serve-child-" + p.pid()));
        return new ServeProcess(p, log);
    }

    /** SIGKILL, and waits for the process to be gone: a crash. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** SIGTERM, as an orchestrator stops it (serve closes Kafka Streams cleanly); SIGKILL after 60 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
