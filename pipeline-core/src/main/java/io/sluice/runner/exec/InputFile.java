package io.sluice.runner.exec;

/** One file of a datum: which input shows it (/pfs/&lt;input&gt;), and its repo, commit and absolute path ("/a/b"). */
public record InputFile(String input, String repo, String commit, String path, long size) {
}
