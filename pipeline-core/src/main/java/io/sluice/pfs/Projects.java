package io.sluice.pfs;

import io.sluice.SluiceException;

import java.util.regex.Pattern;

/**
 * Qualified names of repos and pipelines: {@code name} in the default project, {@code project/name} in any
 * other (neither part may hold a '/'), and their file names on disk, {@code name} and {@code project.name}, so
 * the default project's layout is the one data dirs had before projects existed.
 */
public final class Projects {
    /** The project everything belongs to unless told otherwise, as in Pachyderm. */
    public static final String DEFAULT = "default";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,63}");

    private Projects() {
    }

    /** Returns {@code project} if it is a valid project name (the rules of repo names). */
    public static String checkName(String project) {
        if (project == null || !NAME.matcher(project).matches()) {
            throw SluiceException.invalid("invalid project name '" + (project == null ? "" : project.replace("\0", "\\0"))
                    + "': use 1 to 63 letters, digits, '_' or '-'");
        }
        return project;
    }

    /** The qualified name of {@code name} in {@code project} (null or empty: the default project). */
    public static String qualify(String project, String name) {
        if (project == null || project.isEmpty() || project.equals(DEFAULT)) {
            return name;
        }
        return checkName(project) + "/" + name;
    }

    /** The project of a qualified name. */
    public static String of(String qualified) {
        int slash = qualified.indexOf('/');
        return slash < 0 ? DEFAULT : qualified.substring(0, slash);
    }

    /** The name within its project of a qualified name. */
    public static String local(String qualified) {
        return qualified.substring(qualified.indexOf('/') + 1);
    }

    /**
     * Returns {@code qualified} if both its parts are valid names (the local part by {@link Ref#checkRepoName}),
     * as {@link #qualify} spells it: {@code default/name} is {@code name}, not a repo of its own.
     */
    public static String checkQualified(String qualified) {
        if (qualified != null && qualified.indexOf('/') >= 0) {
            return qualify(checkName(of(qualified)), Ref.checkRepoName(local(qualified)));
        }
        return Ref.checkRepoName(qualified);
    }

    /** The file name a qualified name is kept under: names hold no '.', so {@code project.name} is unambiguous. */
    public static String fileName(String qualified) {
        return qualified.replace('/', '.');
    }

    /** The qualified name kept under file name {@code file} (the inverse of {@link #fileName}). */
    public static String fromFileName(String file) {
        return file.replace('.', '/');
    }
}
