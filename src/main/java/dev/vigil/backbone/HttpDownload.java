package dev.vigil.backbone;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Downloads one file over HTTP(S) into a folder. The bytes go to a {@code .part} file beside the target and become
 * the target by an atomic rename only once complete and checked (length, size, sha256), so a failed, truncated or
 * interrupted download never leaves a half file under the target's name; the {@code .part} file is deleted on any
 * failure and when the JVM is stopped, and a leftover of a killed process is removed by the next download.
 */
public final class HttpDownload {
    private static final Logger LOG = LoggerFactory.getLogger(HttpDownload.class);
    private static final String PART = ".part";

    private HttpDownload() {
    }

    /**
     * @param sha256 the expected SHA-256 (hex), or null when unknown
     * @param size   the expected size in bytes, or 0 when unknown
     * @return the file's SHA-256
     */
    public static String fetch(URI url, Path target, String sha256, long size) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        removeLeftovers(dir, target.getFileName().toString());
        // a name of its own, created on the first write: createTempFile's owner-only permissions would stay with the file
        Path part = dir.resolve(target.getFileName() + "." + Long.toHexString(new java.util.Random().nextLong()) + PART);
        Thread cleanup = new Thread(() -> deleteQuietly(part), "vigil-download-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            String digest = copy(url, part, size);
            if (sha256 != null && !sha256.equalsIgnoreCase(digest)) {
                throw new IOException(url + ": the download has sha256 " + digest + ", expected " + sha256);
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return digest;
        } finally {
            deleteQuietly(part);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // the JVM is already stopping: the hook deletes the part file
            }
        }
    }

    private static String copy(URI url, Path part, long size) throws IOException {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
                .header("User-Agent", "vigil").GET().build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException | HttpConnectTimeoutException | UnknownHostException e) {
            throw new IOException("cannot reach " + url.getHost() + " (" + e + "): this machine may have no internet"
                    + " access. Download " + url + " elsewhere and run vigil backbone import --onnx FILE, or fetch"
                    + " from a mirror (--mirror, $" + BackboneCatalogue.MIRROR_ENV + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("download of " + url + " interrupted", e);
        }
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException("GET " + url + " answered HTTP " + response.statusCode());
            }
            long announced = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            long expected = size > 0 ? size : announced;
            if (size > 0 && announced >= 0 && announced != size) {
                throw new IOException(url + " is " + announced + " bytes, expected " + size);
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long copied = 0;
            long lastReport = System.nanoTime();
            byte[] buffer = new byte[1 << 16];
            try (OutputStream out = Files.newOutputStream(part, java.nio.file.StandardOpenOption.CREATE_NEW)) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    sha.update(buffer, 0, n);
                    copied += n;
                    if (System.nanoTime() - lastReport > 5_000_000_000L) {
                        LOG.info("downloading {}: {} of {} MB", url, copied >> 20, expected > 0 ? expected >> 20 : "?");
                        lastReport = System.nanoTime();
                    }
                }
            } catch (IOException e) {
                throw new IOException("download of " + url + " broke off after " + copied + " bytes: " + e.getMessage(), e);
            }
            if (expected >= 0 && copied != expected) {
                throw new IOException("download of " + url + " is incomplete: " + copied + " of " + expected + " bytes");
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    /**
     * Part files of the same target left by a process that was killed mid-download: untouched for 10 minutes, so a
     * download running in another process is left alone.
     */
    private static void removeLeftovers(Path dir, String target) throws IOException {
        long stale = System.currentTimeMillis() - Duration.ofMinutes(10).toMillis();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> {
                String name = p.getFileName().toString();
                try {
                    return name.startsWith(target + ".") && name.endsWith(PART)
                            && Files.getLastModifiedTime(p).toMillis() < stale;
                } catch (IOException e) {
                    return false;
                }
            }).forEach(HttpDownload::deleteQuietly);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", file, e.getMessage());
        }
    }
}
