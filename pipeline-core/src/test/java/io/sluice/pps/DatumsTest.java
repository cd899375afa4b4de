package io.sluice.pps;

import io.sluice.Json;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.Glob;
import io.sluice.pfs.PfsService;
import io.sluice.pps.Datums.Datum;
import io.sluice.pps.PipelineSpec.RepoBranch;
import io.sluice.storage.MemObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Datums over a real PfsService (in-memory chunk store, real JGit repos in a temp dir). */
class DatumsTest {

    @TempDir
    Path tmp;
    PfsService pfs;
    final SpecParser parser = new SpecParser(Json.mapper(), Glob::compile);
    final Map<RepoBranch, String> heads = new HashMap<>();

    @BeforeEach
    void up() {
        pfs = new PfsService(tmp, new MemObjectStore());
    }

    @AfterEach
    void down() {
        pfs.close();
    }

    private CommitInfo commit(String repo, Map<String, String> files) {
        if (pfs.listRepos().stream().noneMatch(r -> r.name().equals(repo))) {
            pfs.createRepo(repo, "");
        }
        pfs.startCommit(repo, "master", "", List.of());
        files.forEach((p, c) -> pfs.putFile(repo, "master", p, new ByteArrayInputStream(c.getBytes(StandardCharsets.UTF_8)), false));
        CommitInfo c = pfs.finishCommit(repo, "master");
        heads.put(new RepoBranch(repo, "master"), c.id());
        return c;
    }

    private List<Datum> datums(String inputJson) {
        PipelineSpec spec = parser.parse("{\"pipeline\": {\"name\": \"p\"}, \"transform\": {\"cmd\": [\"x\"]}, \"input\": "
                + inputJson.replace('\'', '"') + "}");
        return Datums.of(spec.input(), heads, pfs::globFile);
    }

    @Test
    void globsSplitACommitLikePachyderm() {
        commit("r", Map.of("/a/1", "x", "/a/2", "y", "/b/3", "z", "/top", "t"));
        assertThat(datums("{'pfs': {'repo': 'r', 'glob': '/'}}")).singleElement()
                .satisfies(d -> assertThat(d.files()).hasSize(4));
        List<Datum> top = datums("{'pfs': {'repo': 'r', 'glob': '/*'}}");
        assertThat(top).extracting(Datum::described).containsExactly(List.of("r:/a"), List.of("r:/b"), List.of("r:/top"));
        assertThat(top.get(0).files()).extracting(Datums.DatumFile::path).containsExactly("/a/1", "/a/2");
        assertThat(datums("{'pfs': {'repo': 'r', 'glob': '/*/*'}}")).hasSize(3);
        assertThat(datums("{'pfs': {'repo': 'r', 'glob': '/a/?'}}")).hasSize(2);
        assertThat(datums("{'pfs': {'repo': 'r', 'glob': '/[ab]/*'}}")).hasSize(3);
        assertThat(datums("{'pfs': {'repo': 'r', 'glob': '/nothing*'}}")).isEmpty();
    }

    @Test
    void crossIsTheProductAndUnionTheConcatenation() {
        commit("l", Map.of("/1", "one", "/2", "two"));
        commit("r", Map.of("/x", "ex", "/y", "why", "/z", "zed"));
        List<Datum> cross = datums("{'cross': [{'pfs': {'repo': 'l', 'glob': '/*'}}, {'pfs': {'repo': 'r', 'glob': '/*'}}]}");
        assertThat(cross).hasSize(6);
        assertThat(cross.get(0).described()).containsExactly("l:/1", "r:/x");
        assertThat(cross.get(5).described()).containsExactly("l:/2", "r:/z");
        List<Datum> union = datums("{'union': [{'pfs': {'repo': 'l', 'glob': '/*'}}, {'pfs': {'repo': 'r', 'glob': '/*'}}]}");
        assertThat(union).extracting(d -> d.described().get(0)).containsExactly("l:/1", "l:/2", "r:/x", "r:/y", "r:/z");
        List<Datum> crossEmpty = datums("{'cross': [{'pfs': {'repo': 'l', 'glob': '/*'}}, {'pfs': {'repo': 'r', 'glob': '/none'}}]}");
        assertThat(crossEmpty).isEmpty();
    }

    @Test
    void idsDependOnInputNamePathAndContentOnly() {
        commit("r", Map.of("/a", "same", "/b", "other"));
        List<Datum> first = datums("{'pfs': {'repo': 'r', 'glob': '/*'}}");
        commit("r", Map.of("/b", "changed", "/c", "new"));
        List<Datum> second = datums("{'pfs': {'repo': 'r', 'glob': '/*'}}");
        assertThat(second.get(0).id()).as("unchanged file, same id across commits").isEqualTo(first.get(0).id());
        assertThat(second.get(1).id()).as("changed content").isNotEqualTo(first.get(1).id());
        List<Datum> renamed = datums("{'pfs': {'repo': 'r', 'glob': '/*', 'name': 'other'}}");
        assertThat(renamed.get(0).id()).as("other input name").isNotEqualTo(first.get(0).id());
        commit("r", Map.of("/moved", "same"));
        assertThat(datums("{'pfs': {'repo': 'r', 'glob': '/*'}}")).filteredOn(d -> d.described().contains("r:/moved"))
                .singleElement().satisfies(d -> assertThat(d.id()).as("other path").isNotEqualTo(first.get(0).id()));
        assertThat(first.get(0).id()).matches("[0-9a-f]{64}");
    }

    /** Pachyderm's joins example: stores joined with purchases by store id. */
    @Test
    void innerJoinCrossesTheFilesOfEachKeyAndDropsUnmatchedOnes() {
        commit("stores", Map.of("/STOREID1.txt", "s1", "/STOREID2.txt", "s2", "/STOREID3.txt", "s3"));
        commit("purchases", Map.of("/P1_STOREID1.txt", "a", "/P2_STOREID1.txt", "b", "/P3_STOREID2.txt", "c",
                "/P4_STOREID9.txt", "d"));
        List<Datum> join = datums("""
                {'join': [{'pfs': {'repo': 'stores', 'glob': '/STOREID(*).txt', 'join_on': '$1'}},
                          {'pfs': {'repo': 'purchases', 'glob': '/*_STOREID(*).txt', 'joinOn': '$1'}}]}""");
        assertThat(join).extracting(Datum::described).containsExactly(
                List.of("stores:/STOREID1.txt", "purchases:/P1_STOREID1.txt"),
                List.of("stores:/STOREID1.txt", "purchases:/P2_STOREID1.txt"),
                List.of("stores:/STOREID2.txt", "purchases:/P3_STOREID2.txt"));
        assertThat(join.get(0).env()).containsEntry("PACH_DATUM_stores_JOIN_ON", "1")
                .containsEntry("PACH_DATUM_purchases_JOIN_ON", "1")
                .containsEntry("stores", "/pfs/stores/STOREID1.txt")
                .containsEntry("purchases_COMMIT", heads.get(new RepoBranch("purchases", "master")));
    }

    @Test
    void outerJoinKeepsTheUnmatchedPartsOfItsOuterInputsOnly() {
        commit("stores", Map.of("/STOREID1.txt", "s1", "/STOREID3.txt", "s3"));
        commit("returns", Map.of("/R1_STOREID1.txt", "a", "/R2_STOREID7.txt", "b"));
        String both = """
                {'join': [{'pfs': {'repo': 'stores', 'glob': '/STOREID(*).txt', 'join_on': '$1', 'outer_join': true}},
                          {'pfs': {'repo': 'returns', 'glob': '/*_STOREID(*).txt', 'join_on': '$1', 'outer_join': %s}}]}""";
        assertThat(datums(both.formatted("true"))).extracting(Datum::described).containsExactlyInAnyOrder(
                List.of("stores:/STOREID1.txt", "returns:/R1_STOREID1.txt"),
                List.of("stores:/STOREID3.txt"),
                List.of("returns:/R2_STOREID7.txt"));
        assertThat(datums(both.formatted("false"))).extracting(Datum::described).containsExactlyInAnyOrder(
                List.of("stores:/STOREID1.txt", "returns:/R1_STOREID1.txt"),
                List.of("stores:/STOREID3.txt"));
    }

    /** Pachyderm's group example: lab results grouped by hospital (the CLIA id in the file name). */
    @Test
    void groupMakesOneDatumPerKeyWithEveryMatchingFileOfEveryInput() {
        commit("labresults", Map.of("/T1-CLIA24D0.txt", "a", "/T2-CLIA24D0.txt", "b", "/T3-CLIA99X1.txt", "c"));
        commit("extra", Map.of("/24D0.meta", "m"));
        List<Datum> group = datums("""
                {'group': [{'pfs': {'repo': 'labresults', 'glob': '/*-CLIA(*).txt', 'groupBy': '$1'}},
                           {'pfs': {'repo': 'extra', 'glob': '/(*).meta', 'group_by': '$1'}}]}""");
        assertThat(group).extracting(Datum::described).containsExactly(
                List.of("labresults:/T1-CLIA24D0.txt", "labresults:/T2-CLIA24D0.txt", "extra:/24D0.meta"),
                List.of("labresults:/T3-CLIA99X1.txt"));
        assertThat(group.get(0).env()).containsEntry("PACH_DATUM_labresults_GROUP_BY", "24D0")
                .containsEntry("PACH_DATUM_extra_GROUP_BY", "24D0");
        assertThat(group.get(0).files()).extracting(Datums.DatumFile::path)
                .containsExactly("/T1-CLIA24D0.txt", "/T2-CLIA24D0.txt", "/24D0.meta");
    }
}
