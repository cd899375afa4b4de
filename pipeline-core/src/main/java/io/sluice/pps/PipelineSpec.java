package io.sluice.pps;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated pipeline spec in Pachyderm's model (its pps.proto CreatePipelineRequest): what to run
 * ({@link Transform}), over which inputs ({@link Input}), how ({@code parallelism}, {@code datumTries},
 * {@code datumTimeout}, {@code jobTimeout}, {@code reprocessSpec}, {@code datumSetSpec}, {@code autoscaling})
 * and where to write ({@code outputBranch} of the repo named after the pipeline); {@code raw} is the spec as
 * given, with every field name in its snake_case spelling. With {@code incremental} (Pachyderm 1.x's field)
 * user code also sees the pipeline's previous output commit, read-only, at /pfs/prev; {@code requests} and
 * {@code limits} are kept for runners that schedule resources (Kubernetes), null when not given; the
 * durations are null when not given (no limit); {@code salt} is Pachyderm's: a new salt on update
 * reprocesses every datum.
 */
public record PipelineSpec(String name, String description, Transform transform, Input input, int parallelism,
                           int datumTries, String outputBranch, boolean incremental, Resources requests,
                           Resources limits, Duration datumTimeout, Duration jobTimeout, ReprocessSpec reprocessSpec,
                           DatumSetSpec datumSetSpec, boolean autoscaling, String salt, JsonNode raw) {

    /** {@code reprocess_spec}: skip datums that already succeeded (Pachyderm's default) or run all each job. */
    public enum ReprocessSpec {
        UNTIL_SUCCESS, EVERY_JOB;

        /** The spelling in a spec: "until_success" or "every_job". */
        public String specName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * The user code: a command and the lines fed to its stdin, extra environment, the container image, the
     * command run when a datum fails ({@code errCmd} with {@code errStdin}: exit 0 marks the datum recovered,
     * empty when not given), the exit codes that count as success besides 0 ({@code acceptReturnCode}), the
     * user and working directory to run as and in (empty: the runner's default), secrets shown to it, the
     * Kubernetes Secrets the image is pulled with ({@code imagePullSecrets}), and {@code debug} (more logging).
     */
    public record Transform(List<String> cmd, List<String> stdin, Map<String, String> env, String image,
                            List<String> errCmd, List<String> errStdin, List<Integer> acceptReturnCode,
                            String user, String workingDir, List<SecretMount> secrets, List<String> imagePullSecrets,
                            boolean debug) {

        /** A transform with only a command, stdin, env and image. */
        public Transform(List<String> cmd, List<String> stdin, Map<String, String> env, String image) {
            this(cmd, stdin, env, image, List.of(), List.of(), List.of(), "", "", List.of(), List.of(), false);
        }
    }

    /**
     * A secret made with {@code sluice create secret}: key {@code key} of secret {@code name} shown as env
     * var {@code envVar}, or the whole secret as files (one per key) under directory {@code mountPath};
     * null fields are unset.
     */
    public record SecretMount(String name, String key, String mountPath, String envVar) {
    }

    /**
     * Kubernetes-style resource amounts (e.g. cpu "0.5", memory "64M", disk "1G") and a GPU request; null
     * fields are unset.
     */
    public record Resources(String cpu, String memory, Gpu gpu, String disk) {

        /** Only cpu and memory. */
        public Resources(String cpu, String memory) {
            this(cpu, memory, null, null);
        }

        /**
         * The amounts by Kubernetes resource name ("cpu", "memory", "ephemeral-storage" and the GPU's
         * type, e.g. "nvidia.com/gpu"), in that order, leaving out unset ones.
         */
        public Map<String, String> amounts() {
            Map<String, String> out = new java.util.LinkedHashMap<>();
            if (cpu != null) {
                out.put("cpu", cpu);
            }
            if (memory != null) {
                out.put("memory", memory);
            }
            if (disk != null) {
                out.put("ephemeral-storage", disk);
            }
            if (gpu != null && gpu.number() > 0) {
                out.put(gpu.type(), Long.toString(gpu.number()));
            }
            return out;
        }
    }

    /** {@code resource_*.gpu}: {@code number} devices of Kubernetes resource {@code type}. */
    public record Gpu(String type, long number) {
    }

    /** {@code datum_set_spec}: how datums are batched for workers; 0 means unset. */
    public record DatumSetSpec(long number, long sizeBytes, long perWorker) {
    }

    /**
     * {@code pfs.trigger}: the pipeline's input branch {@code branch} of the input is moved to the head of
     * {@code branch} here once {@code commits} new commits (0: unset) or {@code size} new bytes (null: unset)
     * arrived there; {@code all} asks for every set condition rather than any. With {@code cronSpec} (a cron
     * schedule, empty: unset) it fires on that schedule instead, as Pachyderm's cron triggers do: each tick
     * moves the input branch to the head of {@code branch}, whatever arrived.
     */
    public record Trigger(String branch, boolean all, String size, long commits, String cronSpec) {
        /** A trigger on commits and size only. */
        public Trigger(String branch, boolean all, String size, long commits) {
            this(branch, all, size, commits, "");
        }
    }

    /** A node of the input tree. */
    public sealed interface Input permits Pfs, Cross, Union, Join, Group, Cron {
        /** Every pfs input under this node (a cron input as the pfs input of its tick repo), depth first. */
        default List<Pfs> leaves() {
            List<Pfs> out = new ArrayList<>();
            collect(this, out);
            return out;
        }

        /** Every cron input under this node, depth first. */
        default List<Cron> crons() {
            List<Cron> out = new ArrayList<>();
            collectCrons(this, out);
            return out;
        }

        /** The inputs directly under this node (none for a pfs or cron input). */
        default List<Input> children() {
            if (this instanceof Cross c) {
                return c.inputs();
            }
            if (this instanceof Union u) {
                return u.inputs();
            }
            if (this instanceof Join j) {
                return j.inputs();
            }
            if (this instanceof Group g) {
                return g.inputs();
            }
            return List.of();
        }

        private static void collect(Input input, List<Pfs> out) {
            if (input instanceof Pfs p) {
                out.add(p);
            } else if (input instanceof Cron c) {
                out.add(c.asPfs());
            } else {
                input.children().forEach(i -> collect(i, out));
            }
        }

        private static void collectCrons(Input input, List<Cron> out) {
            if (input instanceof Cron c) {
                out.add(c);
            } else {
                input.children().forEach(i -> collectCrons(i, out));
            }
        }
    }

    /**
     * One branch of one repo, split into datums by {@code glob}, shown to user code at /pfs/{@code name}.
     * {@code commit} (empty: the branch head) pins the commit read; {@code joinOn} and {@code groupBy} are
     * templates over the glob's capture groups ("$1"), empty when unset; {@code emptyFiles} and {@code lazy}
     * are Pachyderm's download hints (Sluice always gives full files: both only change how bytes arrive);
     * {@code trigger} is null when unset.
     */
    public record Pfs(String name, String repo, String branch, String glob, String commit, String joinOn,
                      boolean outerJoin, String groupBy, boolean lazy, boolean emptyFiles, Trigger trigger)
            implements Input {

        /** A plain pfs input: no pinned commit, join, group or trigger. */
        public Pfs(String name, String repo, String branch, String glob) {
            this(name, repo, branch, glob, "", "", false, "", false, false, null);
        }
    }

    /** Every combination of one datum from each input. */
    public record Cross(List<Input> inputs) implements Input {
    }

    /** The datums of each input, one after the other. */
    public record Union(List<Input> inputs) implements Input {
    }

    /** Datums of the inputs whose {@code join_on} keys are equal, crossed; {@code outer_join} keeps the rest. */
    public record Join(List<Input> inputs) implements Input {
    }

    /** One datum per {@code group_by} key, holding every file of every input with that key. */
    public record Group(List<Input> inputs) implements Input {
    }

    /**
     * A cron input: ticks on schedule {@code spec} (cron syntax, {@code @every 1m}, {@code @daily} ...) from
     * {@code start} write a commit to tick repo {@code repo} (Pachyderm's {@code <pipeline>_<name>}) holding
     * one empty file named by the tick's time (RFC 3339), replacing earlier ones with {@code overwrite};
     * user code sees it at /pfs/{@code name}. {@code start} is null when not given (from creation).
     */
    public record Cron(String name, String repo, String spec, boolean overwrite, Instant start) implements Input {
        /** The tick repo as the pfs input that datums are made from: its master branch, glob "/". */
        public Pfs asPfs() {
            return new Pfs(name, repo, "master", "/");
        }
    }

    /** The distinct (repo, branch) pairs this pipeline reads, in spec order. */
    public List<RepoBranch> inputBranches() {
        Set<RepoBranch> out = new LinkedHashSet<>();
        for (Pfs p : input.leaves()) {
            out.add(new RepoBranch(p.repo(), p.branch()));
        }
        return List.copyOf(out);
    }

    /** A repo and one of its branches. */
    public record RepoBranch(String repo, String branch) {
    }
}
