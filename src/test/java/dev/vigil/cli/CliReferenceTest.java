package dev.vigil.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/cli.md shows every command's --help as the command prints it. With {@code -Dvigil.cli.update=true} the test
 * rewrites the blocks instead of checking them.
 */
class CliReferenceTest {
    private static final Path DOC = Path.of("docs", "cli.md");

    @Test
    void everyHelpBlockInTheReferenceIsTheCommandsOwn() throws Exception {
        String doc = Files.readString(DOC);
        List<String> stale = new ArrayList<>();
        String updated = doc;
        for (CommandLine command : commands(new CommandLine(new VigilCommand()))) {
            String name = command.getCommandSpec().qualifiedName(" ").replaceFirst("^vigil ?", "");
            String help = command.getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();
            // the block right after the command's heading ("## train"), or the top-level usage for vigil itself
            Pattern block = name.isEmpty()
                    ? Pattern.compile("(?s)(\\A.*?```text\\n)(.*?)(\\n?```)")
                    : Pattern.compile("(?s)(\\n## " + Pattern.quote(name) + "\\n\\n```text\\n)(.*?)(\\n?```)");
            Matcher m = block.matcher(updated);
            assertThat(m.find()).as("docs/cli.md has a section '## %s' starting with a help block", name).isTrue();
            if (!m.group(2).stripTrailing().equals(help)) {
                stale.add(name.isEmpty() ? "vigil" : name);
                updated = updated.substring(0, m.start(2)) + help + "\n" + updated.substring(m.start(3))
                        .replaceFirst("^\\n?```", "```");
            }
        }
        if (Boolean.getBoolean("vigil.cli.update")) {
            Files.writeString(DOC, updated);
            return;
        }
        assertThat(stale).as("help blocks in docs/cli.md that differ from --help; rewrite them with "
                + "mvn -q test -Dtest=CliReferenceTest -Dvigil.cli.update=true").isEmpty();
    }

    private static List<CommandLine> commands(CommandLine root) {
        List<CommandLine> out = new ArrayList<>();
        out.add(root);
        for (CommandLine sub : root.getSubcommands().values()) {
            if (!sub.getCommandName().equals("help") && !out.contains(sub)) {
                commands(sub).stream().filter(c -> !out.contains(c)).forEach(out::add);
            }
        }
        return out;
    }
}
