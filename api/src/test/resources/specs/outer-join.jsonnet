// Stores and their returns, kept when either side is missing (outer join on both inputs).
function(suffix)
{
  pipeline: { name: "returns_" + suffix },
  input: {
    join: [
      { pfs: { repo: "shops", glob: "/store-(*).txt", joinOn: "$1", outerJoin: true } },
      { pfs: { repo: "returns", glob: "/return-store(*).txt", joinOn: "$1", outerJoin: true } },
    ],
  },
  transform: {
    cmd: ["sh"],
    stdin: [
      "key=${PACH_DATUM_shops_JOIN_ON:-$PACH_DATUM_returns_JOIN_ON}",
      "{ cat /pfs/shops/* 2>/dev/null || echo no-store; cat /pfs/returns/* 2>/dev/null || echo no-return; } > /pfs/out/$key.txt",
    ],
  },
}
