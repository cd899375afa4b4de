package io.sluice.pps;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated pipeline spec in Pachyderm's model: what to run ({@link Transform}), over which inputs
 * ({@link Input}), how ({@code parallelism}, {@code datumTries}, {@code incremental}) and where to write
 * ({@code outputBranch} of the repo named after the pipeline); {@code raw} is the JSON as the user gave it.
 * With {@code incremental} (Pachyderm 1.x's field) user code also sees the pipeline's previous output
 * commit, read-only, at /pfs/prev (absent until the pipeline has an output commit); {@code requests} and
 * {@code limits} are kept for runners that schedule resources (Kubernetes), null when not given.
 */
public record PipelineSpec(String name, String description, Transform transform, Input input, int parallelism,
                           int datumTries, String outputBranch, boolean incremental, Resources requests,
                           Resources limits, JsonNode raw) {

    /** The user code: a command, lines fed to its stdin, extra environment, and the container image. */
    public record Transform(List<String> cmd, List<String> stdin, Map<String, String> env, String image) {
    }

    /** Kubernetes-style resource amounts (e.g. cpu "0.5", memory "64M"); null fields are unset. */
    public record Resources(String cpu, String memory) {
    }

    /** A node of the input tree: one branch of one repo, or a cross product or union of inputs. */
    public sealed interface Input permits Pfs, Cross, Union {
        /** Every pfs input under this node, depth first, in spec order. */
        default List<Pfs> leaves() {
            List<Pfs> out = new ArrayList<>();
            collect(this, out);
            return out;
        }

        private static void collect(Input input, List<Pfs> out) {
            if (input instanceof Pfs p) {
                out.add(p);
            } else if (input instanceof Cross c) {
                c.inputs().forEach(i -> collect(i, out));
            } else if (input instanceof Union u) {
                u.inputs().forEach(i -> collect(i, out));
            }
        }
    }

    /** One branch of one repo, split into datums by {@code glob}, shown to user code at /pfs/{@code name}. */
    public record Pfs(String name, String repo, String branch, String glob) implements Input {
    }

    /** Every combination of one datum from each input. */
    public record Cross(List<Input> inputs) implements Input {
    }

    /** The datums of each input, one after the other. */
    public record Union(List<Input> inputs) implements Input {
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
