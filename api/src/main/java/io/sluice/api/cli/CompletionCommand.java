package io.sluice.api.cli;

import io.sluice.api.Main;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sluice completion bash|zsh}: prints a completion script of every command, noun and option
 * (picocli's, which runs in bash and, through bashcompinit, in zsh).
 */
@Command(name = "completion", description = "Print a shell completion script; e.g. source <(sluice completion bash).")
public final class CompletionCommand implements Runnable {
    @ParentCommand
    Main main;

    @Parameters(paramLabel = "SHELL", description = "bash or zsh.")
    String shell;

    @Override
    public void run() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new Main.UsageError("completion is for bash or zsh, not '" + shell + "'");
        }
        main.out().print(AutoComplete.bash("sluice", main.tree(Main.COMMANDS)));
        main.out().flush();
    }
}
