package dev.vigil.cli;

import dev.vigil.secrets.Redaction;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} command line: lists its subcommands; each subcommand is its own class. */
@Command(name = "vigil", mixinStandardHelpOptions = true, version = "vigil 0.1.0",
        description = "Pixel-level anomaly detection (PaDiM) for camera streams.",
        subcommands = {BackboneCommand.class, TrainCommand.class, LearnCommand.class, AutoLearnCommand.class, EvalCommand.class, BenchCommand.class, ModelCommand.class, FeedbackCommand.class, BrokerCommand.class, AclCommand.class, KafkaSecretsCommand.class, ReplayCommand.class, IngestCommand.class, ServeCommand.class, ScoresCommand.class, AlertsCommand.class,
                DemoCommand.class, CommandLine.HelpCommand.class})
public class VigilCommand {

    public static void main(String[] args) {
        // Native memory is the models' and the kernels' scratch, sized by what is loaded, not by the heap: without
        // this JavaCPP caps it at -Xmx (a 1.9 GB model under -Xmx1g) and reads /proc on every allocation.
        System.setProperty("org.bytedeco.javacpp.maxBytes", "0");
        System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code; errors become one readable line on stderr. */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)} with the command's output and errors going to the given writers. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new VigilCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("vigil " + String.join(" ", commandLine.getCommandSpec().qualifiedName(" ")
                    .replaceFirst("^vigil ?", "")) + ": " + message(e));
            if (System.getenv("VIGIL_DEBUG") != null) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli.execute(args);
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while ((t.getMessage() == null || t instanceof java.io.UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
        }
        // a last net under every command's error: a URL's password never reaches the terminal or a log collector
        return Redaction.urls(t.getMessage() != null ? t.getMessage() : t.toString());
    }
}
