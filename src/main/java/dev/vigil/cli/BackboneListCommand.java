package dev.vigil.cli;

import dev.vigil.backbone.BackboneCache;
import dev.vigil.backbone.BackboneCatalogue;
import dev.vigil.backbone.BackboneLocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the backbones vigil backbone fetch knows, those in the cache, and the one commands use "
                + "without --backbone (and where that choice came from).")
class BackboneListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BackboneCache cache = BackboneCache.fromEnvironment(System.getenv());
        List<Path> cached = cache.manifests();
        out.println("fetch names (vigil backbone fetch NAME):");
        int width = BackboneCatalogue.names().stream().mapToInt(String::length).max().orElse(0);
        for (BackboneCatalogue.Entry e : BackboneCatalogue.entries()) {
            String size = e.size() > 0 ? String.format("%4d MB", Math.round(e.size() / 1e6)) : "      ?";
            out.printf("  %-" + width + "s  %s  %s%n", e.name(), size, e.description());
        }
        out.println("cached in " + cache.root() + ":" + (cached.isEmpty() ? " none" : ""));
        cached.forEach(m -> out.println("  " + m));
        try {
            BackboneLocator.Located located = BackboneLocator.standard().locate(null);
            out.println("without --backbone, commands use " + located.manifest() + " (from " + located.from() + ")");
        } catch (IOException e) {
            out.println("without --backbone, commands find none: " + e.getMessage());
        }
        return 0;
    }
}
