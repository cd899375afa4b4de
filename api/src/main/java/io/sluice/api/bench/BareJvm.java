package io.sluice.api.bench;

/** The floor of {@code bench cli}: a JVM that starts, prints one line and exits. */
public final class BareJvm {
    private BareJvm() {
    }

    public static void main(String[] args) {
        System.out.println("one line");
    }
}
