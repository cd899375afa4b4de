package io.sluice.runner.exec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What user code sees of one datum's run: the command ({@code transform.cmd}), the lines fed to its stdin
 * ({@code transform.stdin}) and the environment added to the runner's own ({@code transform.env} plus
 * Pachyderm's job variables and whatever else pps sets for the datum; later entries win), and the user it
 * runs as ({@code transform.user}: a name or uid, optionally {@code :group}; empty means the runner's default).
 */
public record DatumCommand(List<String> cmd, List<String> stdin, Map<String, String> env, String user) {
    private static final Pattern PFS = Pattern.compile("(?<![\\w./-])/pfs(?=/|\\b|$)");

    public DatumCommand {
        if (cmd == null || cmd.isEmpty()) {
            throw new IllegalArgumentException("a datum command needs a program");
        }
        cmd = List.copyOf(cmd);
        stdin = stdin == null ? List.of() : List.copyOf(stdin);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env == null ? Map.of() : env));
        user = user == null ? "" : user.trim();
    }

    /** A command run as the runner's default user. */
    public DatumCommand(List<String> cmd, List<String> stdin, Map<String, String> env) {
        this(cmd, stdin, env, "");
    }

    /** This command run as {@code user} ({@code transform.user}; empty: the runner's default). */
    public DatumCommand withUser(String user) {
        return new DatumCommand(cmd, stdin, env, user);
    }

    /**
     * The command of datum {@code datumId} of job {@code jobId}: {@code transform.env}, then
     * {@code PACH_JOB_ID}, {@code PACH_DATUM_ID} and {@code <input>_COMMIT} for each input name.
     */
    public static DatumCommand of(List<String> cmd, List<String> stdin, Map<String, String> transformEnv,
                                  String jobId, String datumId, Map<String, String> inputCommits) {
        Map<String, String> env = new LinkedHashMap<>(transformEnv);
        env.put("PACH_JOB_ID", jobId);
        env.put("PACH_DATUM_ID", datumId);
        inputCommits.forEach((input, commit) -> env.put(input + "_COMMIT", commit));
        return new DatumCommand(cmd, stdin, env);
    }

    /** This command with {@code more} added to its environment (replacing names it already has). */
    public DatumCommand withEnv(Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>(this.env);
        env.putAll(more);
        return new DatumCommand(cmd, stdin, env, user);
    }

    /** This command with {@code extra} put before the program (a wrapper that then execs it). */
    public DatumCommand wrappedIn(List<String> extra) {
        List<String> all = new java.util.ArrayList<>(extra);
        all.addAll(cmd);
        return new DatumCommand(all, stdin, env, user);
    }

    /** This command with every {@code /pfs} path prefix in its arguments and stdin replaced by {@code pfsDir}. */
    public DatumCommand withPfsAt(Path pfsDir) {
        String dir = Matcher.quoteReplacement(pfsDir.toString());
        return new DatumCommand(cmd.stream().map(a -> PFS.matcher(a).replaceAll(dir)).toList(),
                stdin.stream().map(l -> PFS.matcher(l).replaceAll(dir)).toList(), env, user);
    }
}
