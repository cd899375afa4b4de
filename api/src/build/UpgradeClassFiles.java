import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites, in place, the class files of a jar older than Java 8 as Java 8 class files with stack map frames,
 * the same code otherwise. Run at package time on the client's copy of picocli: the JVM's class-data archive
 * refuses class files older than Java 6, and one of Java 6 without frames too ("failed over class
 * verification"), so without this every client start reads, parses and verifies picocli's 170 classes anew.
 * Already upgraded class files are left as they are, so running it twice changes nothing.
 */
public final class UpgradeClassFiles {
    public static void main(String[] args) throws IOException {
        Path jar = Path.of(args[0]);
        // Frames need the common super class of two types; the jar's own classes must be loadable for that.
        ClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, UpgradeClassFiles.class.getClassLoader());
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        int upgraded = 0;
        try (ZipFile zip = new ZipFile(jar.toFile()); OutputStream file = Files.newOutputStream(tmp);
             ZipOutputStream out = new ZipOutputStream(file)) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                byte[] data = zip.getInputStream(entry).readAllBytes();
                // META-INF/versions/ holds module-info, which is already new and read by no Java 8 tool.
                if (entry.getName().endsWith(".class") && !entry.getName().startsWith("META-INF/")
                        && new ClassReader(data).readUnsignedShort(6) < Opcodes.V1_8) {
                    data = upgrade(data, loader);
                    upgraded++;
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                out.putNextEntry(copy);
                out.write(data);
                out.closeEntry();
            }
        }
        if (upgraded == 0) {
            Files.delete(tmp); // done by an earlier build: the jar keeps its time, and the client its archive
        } else {
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static byte[] upgrade(byte[] data, ClassLoader loader) {
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected ClassLoader getClassLoader() {
                return loader;
            }
        };
        new ClassReader(data).accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }
}
