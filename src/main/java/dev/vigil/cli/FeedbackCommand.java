package dev.vigil.cli;

import picocli.CommandLine.Command;

@Command(name = "feedback", mixinStandardHelpOptions = true,
        description = "Tell the scorer what an operator found: frames of a camera that were normal, which it then "
                + "adds to the camera's model.",
        subcommands = {FeedbackNormalCommand.class})
public class FeedbackCommand {
}
