package dev.vigil.cli;

import dev.vigil.backbone.BackboneCache;
import dev.vigil.backbone.BackboneCatalogue;
import dev.vigil.backbone.BackboneFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = "Download a known ImageNet CNN from the ONNX model zoo over HTTPS into the cache and import it "
                + "as a backbone (vigil backbone list shows the names). Commands then find it without --backbone.")
class BackboneFetchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<name>", description = "A name from vigil backbone list, or any name with --url and --layers")
    String name;

    @Option(names = "--url", paramLabel = "<url>", description = "Download from this URL instead of the zoo")
    URI url;

    @Option(names = "--mirror", paramLabel = "<url>",
            description = "Base URL of a copy of the zoo (default: $VIGIL_BACKBONE_MIRROR, else the zoo on GitHub)")
    String mirror;

    @Option(names = "--sha256", paramLabel = "<hex>",
            description = "The file's expected SHA-256 (default: the catalogue's, where it has one)")
    String sha256;

    @Option(names = "--layers", split = ",", paramLabel = "T1,T2,T3", hideParamSyntax = true,
            description = "Tensors that become layer1..3 (default: the catalogue's)")
    List<String> layers;

    @Option(names = "--cache", paramLabel = "<dir>",
            description = "Vigil's cache folder; backbones go to <dir>/backbones (default: $VIGIL_CACHE, else ~/.cache/vigil)")
    Path cache;

    @Option(names = "--force", description = "Download again even when the file is already in the cache")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Optional<BackboneCatalogue.Entry> entry = BackboneCatalogue.find(name);
        if (entry.isEmpty() && (url == null || layers == null)) {
            throw new IllegalArgumentException("unknown backbone '" + name + "': known are "
                    + String.join(", ", BackboneCatalogue.names()) + "; for another model give --url and --layers");
        }
        String base = mirror != null ? mirror : System.getenv().getOrDefault(BackboneCatalogue.MIRROR_ENV,
                BackboneCatalogue.DEFAULT_MIRROR);
        URI from = url != null ? url : entry.get().url(base);
        String sha = sha256 != null ? sha256 : entry.map(BackboneCatalogue.Entry::sha256).orElse(null);
        long size = sha256 != null ? 0 : entry.map(BackboneCatalogue.Entry::size).orElse(0L);
        BackboneCache where = cache != null ? BackboneCache.under(cache) : BackboneCache.fromEnvironment(System.getenv());
        BackboneFetcher.Result r = BackboneFetcher.fetch(new BackboneFetcher.Request(name, from, sha, size,
                layers != null ? layers : entry.get().layers(), where, force));
        r.imported().warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
        spec.commandLine().getOut().printf("%s %s to %s%n%s%n", r.downloaded() ? "downloaded" : "already had", from,
                r.download(), BackboneImportCommand.summary(r.imported()));
        return 0;
    }
}
