package io.sluice.api.cli;

import picocli.CommandLine;

import java.util.List;

/**
 * A command of subcommands, as pachctl's verbs of nouns ({@code list repo}, {@code list commit}): the
 * subcommands are built only when a command line needs them, so that {@code list repo} pays for the model of
 * {@code list repo} and not of {@code list}'s other nouns.
 */
public abstract class Group extends Cmd {
    private final List<String> subcommands;

    /** A group {@code name} of the subcommands {@code subcommands}, in the order help lists them. */
    protected Group(String name, String description, String... subcommands) {
        super(name, description);
        this.subcommands = List.of(subcommands);
    }

    /** A new instance of subcommand {@code name}, one of those this group was made with. */
    protected abstract Cmd subcommand(String name);

    /**
     * Adds to {@code group} (this group's command line) the subcommand {@code wanted} when it names one, else
     * every subcommand (for help, completion and "did you mean").
     */
    public final void addSubcommands(CommandLine group, String wanted) {
        boolean one = wanted != null && subcommands.contains(wanted);
        for (String name : subcommands) {
            if (!one || name.equals(wanted)) {
                CommandLine sub = new CommandLine(subcommand(name).spec());
                group.addSubcommand(name, sub);
            }
        }
    }

    /** A group alone names no action. */
    @Override
    protected final void run() {
        throw new CommandLine.ParameterException(spec().commandLine(), "Missing required subcommand");
    }
}
