package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Main;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Where {@code create/update pipeline} read their specs, as pachctl's flags say: {@code -f FILE} (JSON or
 * YAML, one or several specs; "-" is stdin) or {@code --jsonnet TEMPLATE} with {@code --arg key=value}
 * top-level arguments, evaluated by the {@code jsonnet} program (Debian's package of that name) into the
 * JSON of one spec or a list of specs. The daemon parses what comes out.
 */
final class SpecSource {
    /** The program that evaluates templates; found on PATH. */
    static final String JSONNET = "jsonnet";
    private static final long JSONNET_TIMEOUT_S = 60;

    private SpecSource() {
    }

    /** Adds -f/--file, --jsonnet and --arg to {@code cmd}. */
    static void options(Cmd cmd) {
        cmd.option("-f,--file", "SPEC", Path.class, null, "A JSON or YAML file of one or several specs; - for stdin.");
        cmd.option("--jsonnet", "TEMPLATE", Path.class, null, "A jsonnet template that returns a spec or a list of specs.");
        cmd.repeatable("--arg", "KEY=VALUE", null, "A top-level argument of the jsonnet template (repeatable).");
    }

    /** The specs' text {@code cmd}'s options name; a usage error when neither or both of -f and --jsonnet are given. */
    static String read(Cmd cmd) {
        Path file = cmd.value("--file");
        Path jsonnet = cmd.value("--jsonnet");
        List<String> args = cmd.values("--arg");
        if ((file == null) == (jsonnet == null)) {
            throw new Main.UsageError("give the specs with exactly one of -f FILE and --jsonnet TEMPLATE");
        }
        if (file != null) {
            if (!args.isEmpty()) {
                throw new Main.UsageError("--arg goes with --jsonnet, not with -f");
            }
            if (file.toString().equals("-")) {
                try {
                    return new String(cmd.main().in().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new Main.UsageError("cannot read the specs from stdin: " + e.getMessage());
                }
            }
            return Verbs.readSpec(file);
        }
        return evaluate(jsonnet, args);
    }

    /** Runs {@code jsonnet --tla-str k=v ... TEMPLATE} and returns its JSON output. */
    static String evaluate(Path template, List<String> args) {
        if (!Files.isRegularFile(template)) {
            throw new Main.UsageError("cannot read " + template + ": no such file");
        }
        List<String> command = new ArrayList<>(List.of(JSONNET));
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new Main.UsageError("--arg must be KEY=VALUE (got '" + arg + "')");
            }
            command.add("--tla-str");
            command.add(arg);
        }
        command.add("--");
        command.add(template.toString());
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new Main.UsageError("jsonnet templates need the '" + JSONNET + "' program, which is not installed: "
                    + "apt-get install jsonnet (the Debian package 'jsonnet')");
        }
        try (InputStream out = p.getInputStream(); InputStream err = p.getErrorStream()) {
            byte[][] stderr = new byte[1][];
            // an anonymous class, not a lambda: the client path keeps clear of invokedynamic bootstrapping
            Thread drain = new Thread(new Runnable() {
                @Override
                public void run() {
                    try {
                        stderr[0] = err.readAllBytes();
                    } catch (IOException e) {
                        stderr[0] = new byte[0];
                    }
                }
            }, "jsonnet-stderr");
            drain.start();
            byte[] json = out.readAllBytes();
            if (!p.waitFor(JSONNET_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new Main.UsageError("jsonnet did not finish " + template + " within " + JSONNET_TIMEOUT_S + " s");
            }
            drain.join();
            if (p.exitValue() != 0) {
                String message = new String(stderr[0], StandardCharsets.UTF_8).lines().map(String::strip)
                        .filter(l -> !l.isEmpty()).findFirst().orElse("exit code " + p.exitValue());
                throw new Main.UsageError("jsonnet cannot evaluate " + template + ": " + message);
            }
            return new String(json, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Main.UsageError("cannot run jsonnet: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new Main.UsageError("interrupted while jsonnet ran");
        }
    }

    /** Prints each distinct warning of the pipelines the daemon answered with, once, on stderr. */
    static void warn(Main main, JsonNode answer) {
        Set<String> seen = new LinkedHashSet<>();
        Iterable<JsonNode> pipelines = answer.isArray() ? answer : List.of(answer);
        for (JsonNode p : pipelines) {
            for (JsonNode w : p.path("warnings")) {
                seen.add(w.asText());
            }
        }
        for (String w : seen) {
            main.err().println("warning: " + w);
        }
    }
}
