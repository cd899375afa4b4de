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

    /** Where a datum sees the daemon's program directories: in its own /tmp, so no host path must be reachable. */
    static final String PROGRAMS = "/tmp/.sluice-programs";

    /** At most this many program directories: each is held open on a file descriptor 3..9 while /tmp is replaced. */
    static final int MAX_PROGRAMS = 7;

    /**
     * One datum, as PID 1 of a PID namespace of its own (so whatever it starts dies with it) in a mount
     * namespace of its own. $1: the job's prev dir or empty; $2: the user to run as (name or uid, optionally
     * :group; empty: stay); then the program directories up to a {@code --}; then the directories to hide (the
     * data dir, a chunk store outside it) up to a {@code --}; then for each secret directory its path, its
     * number of files and each file's name and content, up to a {@code --}; the rest: the command. Shows $1 read-only at
     * /pfs/prev, opens each program directory, covers each directory to hide with an empty read-only tmpfs
     * (after which /pfs is all the datum sees of them; one already covered by an earlier one is gone), gives it
     * fresh tmpfs /tmp and /var/tmp (gone with the namespace; TMPDIR, when set, points there), shows program
     * directory N read-only at {@link #PROGRAMS}/N (so a checkout under /tmp, or under a directory the user
     * cannot search, still runs), shows each secret directory as a read-only tmpfs of its own holding its files
     * (mode 0644, so any user can read them; a missing directory outside /tmp is made empty on the host, where
     * it stays), hands /pfs/out to the user, changes to / and execs the command as that user.
     */
    static final String DATUM = "p=$1 u=$2; shift 2;"
            + " if [ -n \"$p\" ]; then mount --bind \"$p\" /pfs/prev && mount -o remount,bind,ro /pfs/prev || exit 126; fi;"
            + " n=0; while [ \"$1\" != -- ]; do eval \"exec $((n + 3))<\\\"\\$1\\\"\" || exit 126; n=$((n + 1)); shift; done; shift;"
            + " while [ \"$1\" != -- ]; do [ ! -d \"$1\" ] || mount -t tmpfs -o ro,mode=0755,size=4k sluice-hidden \"$1\""
            + " || exit 126; shift; done; shift;"
            + " for t in /tmp /var/tmp; do [ ! -d $t ] || mount -t tmpfs -o mode=1777 sluice-tmp $t || exit 126; done;"
            + " j=0; while [ $j -lt $n ]; do m=" + PROGRAMS + "/$j; mkdir -p $m && mount --bind /proc/self/fd/$((j + 3)) $m"
            + " && mount -o remount,bind,ro $m && eval \"exec $((j + 3))<&-\" || exit 126; j=$((j + 1)); done;"
            + " while [ \"$1\" != -- ]; do m=$1 c=$2; shift 2; mkdir -p -- \"$m\" && mount -t tmpfs -o mode=0755"
            + " sluice-secret \"$m\" || { echo \"sluice: cannot mount the secret files at $m\" >&2; exit 126; };"
            + " while [ $c -gt 0 ]; do printf %s \"$2\" >\"$m/$1\" && chmod 0644 \"$m/$1\" || exit 126; shift 2;"
            + " c=$((c - 1)); done; mount -o remount,ro \"$m\" || exit 126; done; shift;"
            + " [ -z \"${TMPDIR:-}\" ] || export TMPDIR=/tmp; cd / || exit 126;"
            + " [ -n \"$u\" ] || exec \"$@\";"
            + " g=; case $u in *:*) g=${u#*:}; u=${u%%:*};; esac;"
            + " if ! i=$(id -u -- \"$u\" 2>/dev/null); then case $u in ''|*[!0-9]*)"
            + " echo \"sluice: transform.user names no user of this machine: $u\" >&2; exit 126;; esac; i=$u; fi;"
            + " [ -n \"$g\" ] || g=$(id -g -- \"$i\" 2>/dev/null) || g=$i;"
            + " chown \"$i:$g\" /pfs/out || exit 126;"
            + " n=$(id -un -- \"$i\" 2>/dev/null) || n=$i;"
            + " [ \"$i\" = 0 ] || set -- env HOME=/tmp USER=\"$n\" LOGNAME=\"$n\" \"$@\";"
            + " exec setpriv --reuid=\"$i\" --regid=\"$g\" --clear-groups -- \"$@\"";

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

    /**
     * The request for one datum: start {@link #DATUM} in namespaces of its own over {@code prev} (null: none),
     * showing the directories {@code programs} at {@link #PROGRAMS}, hiding the directories {@code hidden},
     * showing {@code c}'s secret files, as {@code user} (empty: the helper's), and exec {@code c} there through
     * {@code env}, which adds its environment (names a shell could not export included) and looks the
     * program up on its PATH.
     */
    static String request(DatumCommand c, Path prev, List<Path> programs, List<Path> hidden, String user) {
        StringBuilder script = new StringBuilder("exec unshare --mount --propagation private --pid --fork"
                + " --kill-child --mount-proc sh -c ").append(quote(DATUM)).append(" sluice-datum ")
                .append(quote(prev == null ? "" : prev.toString())).append(' ').append(quote(user));
        programs.forEach(d -> script.append(' ').append(quote(d.toString())));
        script.append(" --");
        hidden.forEach(h -> script.append(' ').append(quote(h.toString())));
        script.append(" --");
        c.secretFiles().forEach((dir, files) -> {
            script.append(' ').append(quote(dir)).append(' ').append(files.size());
            files.forEach((name, content) -> script.append(' ').append(quote(name)).append(' ').append(quote(content)));
        });
        script.append(" -- env --");
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
