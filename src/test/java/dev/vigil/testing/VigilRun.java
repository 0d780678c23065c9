package dev.vigil.testing;

import dev.vigil.cli.VigilCommand;

import java.io.PrintWriter;
import java.io.StringWriter;

/** A {@code vigil} command line run in the test's JVM, with what it printed. */
public record VigilRun(int exit, String out, String err) {
    public static VigilRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = VigilCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new VigilRun(exit, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
