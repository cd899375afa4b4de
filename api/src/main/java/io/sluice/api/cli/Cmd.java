package io.sluice.api.cli;

import io.sluice.api.Main;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One command of the CLI, handed to picocli as its programmatic model: a name, a help line, options and
 * parameters (each with a help line), and what it does. A subclass declares its options in an instance
 * initializer and reads them back by name in {@link #run()}.
 *
 * <p>Why not picocli's annotations: building the model from them means reflection on every command's methods,
 * fields and mixins, and a dynamic proxy class per annotation type, which was most of a client command's
 * start-up; a model built by these calls costs a few milliseconds.
 */
public abstract class Cmd implements Callable<Integer> {
    private final CommandSpec spec;

    /** A command {@code name} with the one-line {@code description} help shows; it takes -h/--help. */
    protected Cmd(String name, String description) {
        spec = CommandSpec.wrapWithoutInspection(this);
        spec.name(name);
        spec.usageMessage().description(description);
        spec.addOption(helpOption());
    }

    /** What the command does, once its options and parameters are parsed; a user's mistake is a {@link Main.UsageError}. */
    protected abstract void run() throws Exception;

    /** Runs the command; exit code 0 unless it throws. */
    @Override
    public Integer call() throws Exception {
        run();
        return 0;
    }

    /** The model picocli parses with; its values are this command's options and parameters. */
    public final CommandSpec spec() {
        return spec;
    }

    /** The -h/--help option every command has, as the errors' "see ... --help" promise. */
    public static OptionSpec helpOption() {
        return OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build();
    }

    /** The root command: where output goes, the environment, the project home. */
    protected final Main main() {
        return (Main) spec.root().userObject();
    }

    protected final PrintStream out() {
        return main().out();
    }

    /** Adds a required positional parameter (the next one in order). */
    protected final void param(String label, String description) {
        positional(label, "1", description);
    }

    /** Adds a positional parameter that may be left out (the next one in order). */
    protected final void optionalParam(String label, String description) {
        positional(label, "0..1", description);
    }

    private void positional(String label, String arity, String description) {
        int index = spec.positionalParameters().size();
        spec.addPositional(PositionalParamSpec.builder().index(String.valueOf(index)).arity(arity).paramLabel(label)
                .required(!arity.startsWith("0")).type(String.class).description(description).build());
    }

    /** Adds an option of string values with no default; {@code names} is comma-separated, e.g. "-p,--pipeline". */
    protected final void option(String names, String label, String description) {
        option(names, label, String.class, null, description);
    }

    /** Adds an option of values of {@code type} (converted by picocli), with {@code defaultValue} unless it is null. */
    protected final void option(String names, String label, Class<?> type, String defaultValue, String description) {
        spec.addOption(builder(names, description).paramLabel(label).type(type).defaultValue(defaultValue).build());
    }

    /** Adds an option that must be given. */
    protected final void requiredOption(String names, String label, Class<?> type, String description) {
        spec.addOption(builder(names, description).paramLabel(label).type(type).required(true).build());
    }

    /** Adds an option without a value: given or not. */
    protected final void flag(String names, String description) {
        spec.addOption(builder(names, description).type(boolean.class).build());
    }

    /** Adds an option that may be given again and again, each value (split at {@code split} unless null) kept in order. */
    protected final void repeatable(String names, String label, String split, String description) {
        spec.addOption(builder(names, description).paramLabel(label).type(List.class).auxiliaryTypes(String.class)
                .splitRegex(split == null ? "" : split).build());
    }

    /** A builder of an option named {@code names} (comma-separated), for options {@link #option} cannot say. */
    protected static OptionSpec.Builder builder(String names, String description) {
        return OptionSpec.builder(names.split(",")).description(description);
    }

    /** The value of option {@code name}: as given, else its default, else null; typed as the option was declared. */
    @SuppressWarnings("unchecked")
    protected final <T> T value(String name) {
        return (T) spec.findOption(name).getValue();
    }

    /** Whether flag {@code name} was given. */
    protected final boolean isSet(String name) {
        return Boolean.TRUE.equals(spec.findOption(name).getValue());
    }

    /** The values of repeatable option {@code name}; empty when it was not given. */
    protected final List<String> values(String name) {
        List<String> values = value(name);
        return values == null ? List.of() : values;
    }

    /** The value of positional parameter {@code index}, or null when an optional one was left out. */
    protected final String positional(int index) {
        return spec.positionalParameters().get(index).getValue();
    }
}
