package io.sluice.api.cli;

import io.sluice.api.Main;
import picocli.AutoComplete;

/**
 * {@code sluice completion bash|zsh}: prints a completion script of every command, noun and option
 * (picocli's, which runs in bash and, through bashcompinit, in zsh).
 */
public final class CompletionCommand extends Cmd {
    public CompletionCommand() {
        super("completion", "Print a shell completion script; e.g. source <(sluice completion bash).");
        param("SHELL", "bash or zsh.");
    }

    @Override
    protected void run() {
        String shell = positional(0);
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new Main.UsageError("completion is for bash or zsh, not '" + shell + "'");
        }
        out().print(AutoComplete.bash("sluice", main().tree(Main.COMMANDS)));
        out().flush();
    }
}
