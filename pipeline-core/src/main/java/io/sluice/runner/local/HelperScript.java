package io.sluice.runner.local;

import io.sluice.runner.exec.DatumCommand;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shell text a namespace slot runs: the long-lived helper, and the per-datum request it sources. Kept
 * apart so that what runs inside a namespace can be read in one place.
 */
final class HelperScript {

    /**
     * Where a datum sees the daemon's program directories: a read-only tmpfs of the slot's own, so no host path
     * must be reachable, and outside /tmp, so emptying /tmp after a datum leaves them alone.
     */
    static final String PROGRAMS = "/run/sluice-programs";

    /** At most this many program directories: each is held open on a file descriptor 3..7 while /tmp and the hidden directories are covered. */
    static final int MAX_PROGRAMS = 5;

    /**
     * Everything a datum must not find is set up once per slot, in the slot's own mount and PID namespaces,
     * and then reused datum after datum: a datum costs a fork of the helper and the exec of its command (plus
     * {@code setpriv} to drop to its user), where making namespaces, mounts and user lookups per datum cost
     * some twenty execs.
     *
     * <p>$1: the slot's dir; $2: the directory the jobs' prev directories live under; then the program
     * directories up to a {@code --}; then the directories to hide (the data dir, a chunk store outside it) up
     * to a {@code --}. Bind-mounts the slot's {@code pfs} on /pfs, makes the two FIFOs, keeps the slot's dir
     * open on fd 9 and the prev root on fd 8 (through /proc/1/fd they stay reachable for the helper, and for
     * nobody else, once the data dir is covered), opens each program directory, covers each directory to hide
     * with an empty read-only tmpfs (after which /pfs is all a datum sees of them; one already covered by an
     * earlier one is gone), mounts tmpfs /tmp and /var/tmp (the daemon empties them after every datum: see
     * {@link Slot}), mounts a tmpfs at {@link #PROGRAMS} (its mount point made on the host when missing, where it
     * stays an empty directory) and shows program directory N read-only at {@link #PROGRAMS}/N in it (so a checkout
     * under /tmp, or under a directory the user cannot search, still runs), then makes that tmpfs read-only, remounts /proc so that a datum sees only its
     * own user's processes, and says {@code ready}.
     *
     * <p>Then for each request line ({@code run}, or {@code run stdin} when the datum has stdin lines) it sources
     * the slot's {@code request} file, which defines the functions {@code datum} and {@code after} (see
     * {@link #request}), runs {@code datum} in a subshell with the slot's FIFOs as stdout and stderr and its
     * {@code stdin} file (else /dev/null) as stdin; once that ends it kills every process left in the namespace
     * (PID 1's {@code kill -1} reaches all of them but itself, so what a datum started in the background dies
     * with it) and reaps them until none is left, runs {@code after} (which unmounts what {@code datum} mounted),
     * and reports {@code exit N}. It ends at EOF on its stdin.
     */
    static final String HELPER = "d=$1 w=$2; shift 2; [ -d /pfs ] || mkdir -p /pfs;"
            + " mount --bind \"$d/pfs\" /pfs && rm -f \"$d/stdout\" \"$d/stderr\""
            + " && mkfifo \"$d/stdout\" \"$d/stderr\" && exec 9<\"$d\" 8<\"$w\" || exit 1; c=/proc/$$/fd/9 w=/proc/$$/fd/8;"
            + " n=0; while [ \"$1\" != -- ]; do eval \"exec $((n + 3))<\\\"\\$1\\\"\" || exit 1; n=$((n + 1)); shift; done; shift;"
            + " while [ \"$1\" != -- ]; do [ ! -d \"$1\" ] || mount -t tmpfs -o ro,mode=0755,size=4k sluice-hidden \"$1\""
            + " || exit 1; shift; done; shift;"
            + " for t in /tmp /var/tmp; do [ ! -d $t ] || mount -t tmpfs -o mode=1777 sluice-tmp $t || exit 1; done;"
            + " [ $n -eq 0 ] || { mkdir -p " + PROGRAMS + " && mount -t tmpfs -o mode=0755,size=4k sluice-programs " + PROGRAMS
            + " || exit 1; }; j=0; while [ $j -lt $n ]; do m=" + PROGRAMS + "/$j; mkdir $m && mount --bind /proc/self/fd/$((j + 3)) $m"
            + " && mount -o remount,bind,ro $m && eval \"exec $((j + 3))<&-\" || exit 1; j=$((j + 1)); done;"
            + " [ $n -eq 0 ] || mount -o remount,ro " + PROGRAMS + " || exit 1;"
            + " mount -o remount,hidepid=invisible /proc || exit 1;"
            + " [ -z \"${TMPDIR:-}\" ] || export TMPDIR=/tmp; sp=$(command -v setpriv) && en=$(command -v env) || exit 1;"
            + " echo ready;"
            + " while read -r _ i; do . \"$c/request\" || exit 1; i=${i:+$c/stdin};"
            + " ( datum ) <\"${i:-/dev/null}\" >\"$c/stdout\" 2>\"$c/stderr\" & wait $!; s=$?;"
            + " set -- /proc/[0-9]*; while [ $# -gt 1 ]; do kill -9 -1 2>/dev/null; : & wait $!; set -- /proc/[0-9]*; done;"
            + " after; echo \"exit $s\"; done";

    /**
     * Names a shell may not be handed through {@code export} without changing how it goes on (or which it
     * keeps for itself); these, like names that are no shell names at all, reach user code through {@code env}.
     */
    private static final Set<String> SHELL_OWN = Set.of("IFS", "PPID", "OPTIND", "OPTARG", "LINENO", "PS1", "PS2",
            "PS4", "ENV", "PWD", "OLDPWD", "CDPATH", "MAIL", "MAILPATH", "MAILCHECK", "HISTSIZE");

    /** $1: a pfs dir; the rest: a command. The probe: binds $1 on /pfs in a private namespace and runs it. */
    static final String PROBE = "mkdir -p /pfs && mount --bind \"$1\" /pfs && shift && exec \"$@\"";

    private HelperScript() {
    }

    /**
     * The helper's command line for slot directory {@code dir}, the prev root {@code prevRoot}, the program
     * directories {@code programs} and the directories {@code hidden}: the helper as PID 1 of its own namespaces.
     */
    static List<String> helper(Path dir, Path prevRoot, List<Path> programs, List<Path> hidden) {
        // setpriv --pdeathsig: the helper's unshare dies with the daemon's thread that started it, even on
        // SIGKILL; --kill-child then takes the helper shell, and with it every process in its PID namespace
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "unshare", "--mount", "--propagation",
                "private", "--pid", "--kill-child", "--mount-proc", "sh", "-c", HELPER, "sluice-slot", dir.toString(),
                prevRoot.toString()));
        programs.forEach(p -> cmd.add(p.toString()));
        cmd.add("--");
        hidden.forEach(h -> cmd.add(h.toString()));
        cmd.add("--");
        return cmd;
    }

    /** Who user code runs as: uid, gid and user name (the uid again when it has none). */
    record RunAs(String uid, String gid, String name) {
    }

    /**
     * The request for one datum, sourced by the helper (as root, in the slot's namespaces): it only defines two
     * functions. {@code datum}, run in a subshell, shows {@code prevRelative} (a path under the helper's prev
     * root, or null) read-only at /pfs/prev, shows each of {@code c}'s secret directories as a read-only tmpfs
     * of its own holding its files (mode 0644, so any user can read them; a missing directory outside /tmp is
     * made empty on the host, where it stays), changes to /, exports the command's environment (names a shell
     * could not export through {@code env}) and execs {@code c} as {@code user} (null: the helper's), which
     * looks the program up on its PATH; for a user this machine does not know ({@code unknownUser} non-null)
     * it only says so and exits 126. {@code after}, run by the helper once nothing of the datum runs any more,
     * unmounts what {@code datum} mounted, so that the next datum finds the slot as it was.
     */
    static String request(DatumCommand c, String prevRelative, RunAs user, String unknownUser) {
        StringBuilder script = new StringBuilder("datum() {\n");
        if (unknownUser != null) {
            script.append("echo ").append(quote("sluice: transform.user names no user of this machine: " + unknownUser))
                    .append(" >&2; exit 126\n}\nafter() {\n:\n}\n");
            return script.toString();
        }
        if (prevRelative != null) {
            script.append("mount --bind \"$w\"/").append(quote(prevRelative))
                    .append(" /pfs/prev && mount -o remount,bind,ro /pfs/prev || exit 126\n");
        }
        c.secretFiles().forEach((dir, files) -> {
            script.append("m=").append(quote(dir)).append("; mkdir -p -- \"$m\" && mount -t tmpfs -o mode=0755 sluice-secret")
                    .append(" \"$m\" || { echo \"sluice: cannot mount the secret files at $m\" >&2; exit 126; }\n");
            files.forEach((name, content) -> script.append("printf %s ").append(quote(content)).append(" >\"$m\"/")
                    .append(quote(name)).append(" && chmod 0644 \"$m\"/").append(quote(name)).append(" || exit 126\n"));
            script.append("mount -o remount,ro \"$m\" || exit 126\n");
        });
        script.append("cd / || exit 126\n");
        List<String> viaEnv = new ArrayList<>();
        if (user != null && !user.uid().equals("0")) {
            script.append("export HOME=/tmp USER=").append(quote(user.name())).append(" LOGNAME=")
                    .append(quote(user.name())).append('\n');
        }
        for (Map.Entry<String, String> e : c.env().entrySet()) {
            String word = quote(e.getKey() + "=" + e.getValue());
            if (e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") && !SHELL_OWN.contains(e.getKey())) {
                script.append("export ").append(word).append('\n');
            } else {
                viaEnv.add(word);
            }
        }
        script.append("exec");
        if (user != null) {
            script.append(" \"$sp\" --reuid=").append(quote(user.uid())).append(" --regid=").append(quote(user.gid()))
                    .append(" --clear-groups --");
        }
        if (!viaEnv.isEmpty()) {
            script.append(" \"$en\" --");
            viaEnv.forEach(w -> script.append(' ').append(w));
        }
        c.cmd().forEach(a -> script.append(' ').append(quote(a)));
        script.append("\n}\nafter() {\n:\n");
        c.secretFiles().keySet().forEach(dir -> script.append("umount -l ").append(quote(dir)).append(" 2>/dev/null\n"));
        if (prevRelative != null) {
            script.append("umount -l /pfs/prev 2>/dev/null\n");
        }
        return script.append("}\n").toString();
    }

    /** A shell word that is exactly {@code s}. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
