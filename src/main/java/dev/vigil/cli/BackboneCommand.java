package dev.vigil.cli;

import picocli.CommandLine.Command;

@Command(name = "backbone", mixinStandardHelpOptions = true,
        description = "Get a backbone: fetch a known ImageNet CNN, or import an ONNX CNN of your own; inspect a "
                + "model's tensors; list what is known and cached.",
        subcommands = {BackboneFetchCommand.class, BackboneImportCommand.class, BackboneInspectCommand.class,
                BackboneListCommand.class})
public class BackboneCommand {
}
