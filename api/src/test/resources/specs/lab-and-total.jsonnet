// Two pipelines from one template: group results by lab, then total each lab's lines.
function(suffix)
[
  {
    pipeline: { name: "lab_" + suffix },
    input: { group: [{ pfs: { repo: "labs", glob: "/*-CLIA(*).txt", group_by: "$1" } }] },
    transform: {
      cmd: ["bash"],
      stdin: ["mkdir -p /pfs/out/${PACH_DATUM_labs_GROUP_BY}", "cp /pfs/labs/* /pfs/out/${PACH_DATUM_labs_GROUP_BY}/"],
    },
  },
  {
    pipeline: { name: "total_" + suffix },
    input: { pfs: { repo: "lab_" + suffix, glob: "/*" } },
    transform: {
      cmd: ["bash"],
      stdin: ["for d in /pfs/lab_" + suffix + "/*; do cat $d/* | wc -l | tr -d ' ' > /pfs/out/$(basename $d).count; done"],
    },
  },
]
