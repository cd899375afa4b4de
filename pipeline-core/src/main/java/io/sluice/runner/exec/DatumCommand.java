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
 * runs as ({@code transform.user}: a name or uid, optionally {@code :group}; empty means the runner's default),
 * the {@link Policy} that decides how its end counts, and the read-only files it finds in directories of
 * their own ({@code secretFiles}: directory, then file name, then content; {@code transform.secrets} with a
 * {@code mount_path}).
 */
public record DatumCommand(List<String> cmd, List<String> stdin, Map<String, String> env, String user,
                           Policy policy, Map<String, Map<String, String>> secretFiles) {
    private static final Pattern PFS = Pattern.compile("(?<![\\w./-])/pfs(?=/|\\b|$)");

    public DatumCommand {
        if (cmd == null || cmd.isEmpty()) {
            throw new IllegalArgumentException("a datum command needs a program");
        }
        cmd = List.copyOf(cmd);
        stdin = stdin == null ? List.of() : List.copyOf(stdin);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env == null ? Map.of() : env));
        user = user == null ? "" : user.trim();
        policy = policy == null ? Policy.NONE : policy;
        Map<String, Map<String, String>> files = new LinkedHashMap<>();
        (secretFiles == null ? Map.<String, Map<String, String>>of() : secretFiles)
                .forEach((dir, content) -> files.put(dir, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(content))));
        secretFiles = java.util.Collections.unmodifiableMap(files);
    }

    /** A command with no secret files. */
    public DatumCommand(List<String> cmd, List<String> stdin, Map<String, String> env, String user, Policy policy) {
        this(cmd, stdin, env, user, policy, Map.of());
    }

    /** A command run as the runner's default user under no policy. */
    public DatumCommand(List<String> cmd, List<String> stdin, Map<String, String> env) {
        this(cmd, stdin, env, "", Policy.NONE);
    }

    /**
     * How a datum's run is judged, as Pachyderm's transform and pipeline fields say: exit codes besides 0 that
     * count as success ({@code transform.accept_return_code}); the command run over the same /pfs when the run
     * failed ({@code err_cmd} fed {@code err_stdin}; empty: none), whose exit 0 marks the datum recovered;
     * the longest a run may take ({@code datum_timeout} in milliseconds, 0: no limit) before its whole process
     * tree is killed; and the directory user code starts in ({@code transform.working_dir}; empty: the
     * launcher's default).
     */
    public record Policy(List<Integer> acceptReturnCode, List<String> errCmd, List<String> errStdin,
                         long timeoutMillis, String workingDir) {
        /** Only exit 0 succeeds, no err_cmd, no time limit, the launcher's working directory. */
        public static final Policy NONE = new Policy(List.of(), List.of(), List.of(), 0, "");

        public Policy {
            acceptReturnCode = acceptReturnCode == null ? List.of() : List.copyOf(acceptReturnCode);
            errCmd = errCmd == null ? List.of() : List.copyOf(errCmd);
            errStdin = errStdin == null ? List.of() : List.copyOf(errStdin);
            workingDir = workingDir == null ? "" : workingDir;
            if (timeoutMillis < 0) {
                throw new IllegalArgumentException("a datum timeout cannot be negative");
            }
        }

        /** {@code millis} as a Go duration, as a spec writes it: "500ms", "30s", "1.5s", "1h2m3s". */
        public static String format(long millis) {
            if (millis < 1000) {
                return millis + "ms";
            }
            StringBuilder out = new StringBuilder();
            if (millis >= 3_600_000) {
                out.append(millis / 3_600_000).append('h');
            }
            if (millis >= 60_000 && millis % 3_600_000 / 60_000 > 0) {
                out.append(millis % 3_600_000 / 60_000).append('m');
            }
            long ms = millis % 60_000;
            if (ms > 0) {
                out.append(java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString()).append('s');
            }
            return out.toString();
        }

        /** Whether exit code {@code code} counts as success. */
        public boolean accepts(int code) {
            return code == 0 || acceptReturnCode.contains(code);
        }
    }

    /** This command run as {@code user} ({@code transform.user}; empty: the runner's default). */
    public DatumCommand withUser(String user) {
        return new DatumCommand(cmd, stdin, env, user, policy, secretFiles);
    }

    /** This command judged by {@code policy}. */
    public DatumCommand withPolicy(Policy policy) {
        return new DatumCommand(cmd, stdin, env, user, policy, secretFiles);
    }

    /** The policy's {@code err_cmd} as a command of its own: same env and user, fed {@code err_stdin}. */
    public DatumCommand errCommand() {
        return new DatumCommand(policy.errCmd(), policy.errStdin(), env, user, policy, secretFiles);
    }

    /**
     * This command started in {@code policy.workingDir} when one is set: a shell changes there and execs the
     * program, so it works the same in every launcher, and a launcher that rewrites {@code /pfs} paths in
     * arguments rewrites this one too.
     */
    public DatumCommand inWorkingDir() {
        if (policy.workingDir().isEmpty()) {
            return this;
        }
        return wrappedIn(List.of("/bin/sh", "-c", "cd -- \"$0\" 2>/dev/null || { echo \"working_dir $0 does not"
                + " exist or is not a directory\" >&2; exit 1; }; exec \"$@\"", policy.workingDir()));
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

    /**
     * This command showing {@code files} (directory, file name, content) read-only, in place of any it
     * showed; empty when a runner shows them by other means (a Kubernetes secret volume).
     */
    public DatumCommand withSecretFiles(Map<String, Map<String, String>> files) {
        return new DatumCommand(cmd, stdin, env, user, policy, files);
    }

    /** This command with {@code more} added to its environment (replacing names it already has). */
    public DatumCommand withEnv(Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>(this.env);
        env.putAll(more);
        return new DatumCommand(cmd, stdin, env, user, policy, secretFiles);
    }

    /** This command with {@code extra} put before the program (a wrapper that then execs it). */
    public DatumCommand wrappedIn(List<String> extra) {
        List<String> all = new java.util.ArrayList<>(extra);
        all.addAll(cmd);
        return new DatumCommand(all, stdin, env, user, policy, secretFiles);
    }

    /** This command with every {@code /pfs} path prefix in its arguments and stdin replaced by {@code pfsDir}. */
    public DatumCommand withPfsAt(Path pfsDir) {
        String dir = Matcher.quoteReplacement(pfsDir.toString());
        return new DatumCommand(cmd.stream().map(a -> PFS.matcher(a).replaceAll(dir)).toList(),
                stdin.stream().map(l -> PFS.matcher(l).replaceAll(dir)).toList(), env, user, policy, secretFiles);
    }
}
