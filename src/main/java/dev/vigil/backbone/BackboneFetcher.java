package dev.vigil.backbone;

import dev.vigil.integrity.FileDigests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code vigil backbone fetch}: downloads a classifier into the cache's {@code downloads/} ({@link HttpDownload}) and
 * imports it into the cache ({@link BackboneImporter}) with ImageNet normalisation. A file already downloaded with the
 * right sha256 is not downloaded again.
 */
public final class BackboneFetcher {
    private static final Logger LOG = LoggerFactory.getLogger(BackboneFetcher.class);

    private BackboneFetcher() {
    }

    /**
     * @param sha256 the file's expected SHA-256, or null when unknown
     * @param size   the file's expected size, or 0 when unknown
     * @param force  download again even when the file is in the cache
     */
    public record Request(String name, URI url, String sha256, long size, List<String> layers, BackboneCache cache,
                          boolean force) {
    }

    /** @param downloaded false when the cached download was used */
    public record Result(Path download, boolean downloaded, BackboneImporter.Result imported) {
    }

    public static Result fetch(Request r) throws IOException {
        String file = Path.of(r.url().getPath()).getFileName() == null ? r.name() + ".onnx"
                : Path.of(r.url().getPath()).getFileName().toString();
        Path download = r.cache().downloads().resolve(file);
        boolean reuse = !r.force() && Files.isRegularFile(download)
                && (r.sha256() == null || r.sha256().equalsIgnoreCase(FileDigests.sha256(download)));
        if (reuse) {
            LOG.info("{} is already downloaded: {}", r.url(), download);
        } else {
            if (r.sha256() == null) {
                LOG.warn("no sha256 is known for {}: the download is checked by its length only", r.url());
            }
            HttpDownload.fetch(r.url(), download, r.sha256(), r.size());
        }
        Path folder = r.cache().folder(r.name());
        try {
            BackboneImporter.Result imported = BackboneImporter.run(
                    BackboneImporter.Options.imagenet(download, r.layers(), r.name(), folder));
            return new Result(download, !reuse, imported);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + "\nThe download is kept at " + download + ": vigil backbone inspect "
                    + download + " lists its tensors, then vigil backbone import --onnx " + download
                    + " --layers T1,T2,T3 --name " + r.name() + " --out " + folder + " makes the backbone", e);
        }
    }
}
