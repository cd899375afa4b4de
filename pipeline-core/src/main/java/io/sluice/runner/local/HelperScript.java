package io.sluice.runner.local;

import io.sluice.runner.exec.DatumCommand;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The shell text a namespace slot runs: the long-lived helper, and the per-datum request it sources. Kept
 * apart so that what runs inside a namespace can be read in one place.
 */
final class HelperScript {

    /**
     * $1: the slot's dir. Bind-mounts its {@code pfs} on /pfs (in the slot's own mount namespace), makes the
     * two FIFOs, says {@code ready}, then for each request line runs the request script in a subshell with
     * the slot's stdin file and FIFOs and reports {@code exit N}. It ends at EOF on its stdin.
     */
    static final String HELPER = "d=$1; [ -d /pfs ] || mkdir -p /pfs;"
            + " mount --bind \"$d/pfs\" /pfs && rm -f \"$d/stdout\" \"$d/stderr\""
            + " && mkfifo \"$d/stdout\" \"$d/stderr\" || exit 1; echo ready;"
            + " while read -r _; do ( . \"$d/request\" ) <\"$d/stdin\" >\"$d/stdout\" 2>\"$d/stderr\" &"
            + " wait $!; echo \"exit $?\"; done";

    /** $1: the job's prev dir; the rest: the command. Shows $1 read-only at /pfs/prev, then execs the command. */
    static final String PREV = "mount --bind \"$1\" /pfs/prev && mount -o remount,bind,ro /pfs/prev && shift"
            + " && exec \"$@\"";

    /** $1: a pfs dir; the rest: a command. The probe: binds $1 on /pfs in a private namespace and runs it. */
    static final String PROBE = "mkdir -p /pfs && mount --bind \"$1\" /pfs && shift && exec \"$@\"";

    private HelperScript() {
    }

    /** The helper's command line for slot directory {@code dir}: the helper as PID 1 of its own namespaces. */
    static List<String> helper(Path dir) {
        // setpriv --pdeathsig: the helper's unshare dies with the daemon's thread that started it, even on
        // SIGKILL; --kill-child then takes the helper shell, and with it every process in its PID namespace
        return List.of("setpriv", "--pdeathsig", "KILL", "unshare", "--mount", "--propagation", "private",
                "--pid", "--kill-child", "--mount-proc", "sh", "-c", HELPER, "sluice-slot", dir.toString());
    }

    /** The wrapper that shows {@code prev} at /pfs/prev to one command, in a mount namespace of its own. */
    static List<String> withPrev(Path prev) {
        return List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", PREV, "sluice-prev",
                prev.toString());
    }

    /**
     * The request for one datum: change to the slot's dir and exec {@code c} through {@code env}, which adds
     * its environment (names a shell could not export included) and looks the program up on its PATH.
     */
    static String request(Path dir, DatumCommand c) {
        StringBuilder script = new StringBuilder("cd ").append(quote(dir.toString())).append(" || exit 126\n");
        script.append("exec env --");
        for (Map.Entry<String, String> e : c.env().entrySet()) {
            script.append(' ').append(quote(e.getKey() + "=" + e.getValue()));
        }
        c.cmd().forEach(a -> script.append(' ').append(quote(a)));
        return script.append('\n').toString();
    }

    /** A shell word that is exactly {@code s}. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
