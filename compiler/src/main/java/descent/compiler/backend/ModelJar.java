package descent.compiler.backend;

import descent.compiler.ir.Model;
import descent.runtime.AtomicFiles;
import descent.runtime.DescentException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * {@code descent compile -o model.jar}: a jar an application loads with a plain class loader next to the
 * runtime jar alone. It holds the model file, the checked model ({@link descent.compiler.ir.ModelCodec}), the class
 * files of its kernels ({@link KernelArchive}), a class {@code PACKAGE.ModelName} (extending {@link JarModel},
 * so it is a {@code DescentModel}) and the part of the compiler a loaded model runs ({@link CodeClosure}: lowering,
 * the backend and the emitters, with ASM; not the parser or checker) — not the runtime, which the application
 * provides.
 */
public final class ModelJar {
    private ModelJar() {}

    /** The class name a model gets: its name in UpperCamelCase, in {@code pkg} (may be empty). */
    public static String className(Model m, String pkg) {
        StringBuilder sb = new StringBuilder();
        for (String part : m.name().split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        String simple = sb.isEmpty() || !Character.isJavaIdentifierStart(sb.charAt(0)) ? "Model" + sb : sb.toString();
        return pkg == null || pkg.isEmpty() ? simple : pkg + "." + simple;
    }

    /**
     * Refuses a package the generated class could not be declared or loaded in: not a dotted Java name
     * (a keyword, {@code 1abc}, a space), or under {@code java}, which only the JDK's own loader may define.
     */
    public static void checkPackage(String pkg) {
        if (pkg == null || pkg.isEmpty()) return;
        if (!javax.lang.model.SourceVersion.isName(pkg)) {
            throw new DescentException("--package " + pkg + " is not a Java package name: dot-separated identifiers that are"
                    + " not keywords, such as com.example.models");
        }
        if (pkg.equals("java") || pkg.startsWith("java.")) {
            throw new DescentException("--package " + pkg + ": only the JDK may define classes in package java and below");
        }
    }

    /** The thread counts whose sessions' kernels a jar carries unless told otherwise. */
    public static final List<Integer> THREADS = List.of(1, 2);

    public static void write(Path out, Model m, String modelText, String pkg) { write(out, m, modelText, pkg, THREADS); }

    /** A jar carrying the kernels that sessions of each of {@code threads} threads use. */
    public static void write(Path out, Model m, String modelText, String pkg, List<Integer> threads) {
        checkPackage(pkg);
        String cls = className(m, pkg);
        String resource = "META-INF/descent/" + m.name() + ".descent";
        byte[] facade = facade(cls, resource, m);
        // The jar is written on another core while this one records the kernels: the code it carries is found and
        // deflated (~0.1 s of a cold compile) first, then each kernel is renamed and deflated as soon as it is
        // recorded (renaming them all after the last one kept the writer idle, then this core waiting ~60 ms).
        // A thread of its own, not the common pool's: it blocks on the queue, which a pool thread must not do.
        BlockingQueue<Recorded> recorded = new LinkedBlockingQueue<>();
        CompletableFuture<Void> written = new CompletableFuture<>();
        Runnable write = () -> AtomicFiles.write(out, (OutputStream os) -> {
            Map<String, byte[]> classes = code(facade);
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().putValue("Descent-Model-Class", cls);
            try (JarOutputStream jar = new JarOutputStream(os)) {
                jar.putNextEntry(entry("META-INF/MANIFEST.MF"));
                manifest.write(jar);
                jar.closeEntry();
                Set<String> seen = new HashSet<>(Set.of("META-INF/MANIFEST.MF"));
                put(jar, seen, resource, modelText.getBytes(StandardCharsets.UTF_8));
                put(jar, seen, JarModel.irResource(resource), descent.compiler.ir.ModelCodec.encode(m));
                put(jar, seen, cls.replace('.', '/') + ".class", facade);
                put(jar, seen, KernelArchive.BUILD_RESOURCE, buildResource());
                for (var e : classes.entrySet()) put(jar, seen, e.getKey() + ".class", e.getValue());
                KernelRecording.JarWriter kernels = new KernelRecording.JarWriter(jar, seen);
                for (Recorded r; (r = next(recorded)) != Recorded.END; ) {
                    // A failed recording ends the write here, and AtomicFiles leaves no file.
                    if (r == Recorded.FAILED) throw new IllegalStateException("recording the kernels failed");
                    if (r.key().equals(CarriedExecutables.RESOURCE)) {
                        put(jar, seen, CarriedExecutables.RESOURCE, r.files().getFirst());
                        continue;
                    }
                    CodeClosure.requireCovered(classes, r.files());
                    kernels.add(r.key(), r.files());
                }
                kernels.finish();
            }
        });
        Thread writer = Thread.ofPlatform().daemon().name("descent-jar-writer").start(() -> {
            try {
                write.run();
                written.complete(null);
            } catch (Throwable t) {
                written.completeExceptionally(t);
            }
        });
        boolean recordedAll = false;
        try {
            Map<String, byte[]> executables = new java.util.TreeMap<>();
            KernelRecording.record(m, threads, (key, files) -> recorded.add(new Recorded(key, files)), executables);
            // Under a key no kernel has (kernel keys name what they compute: "matmul …", "fused …", "step …").
            recorded.add(new Recorded(CarriedExecutables.RESOURCE, List.of(new CarriedExecutables(executables,
                    CarriedExecutables.modelDigest(descent.compiler.ir.ModelCodec.encode(m)), key -> null).toBytes())));
            recorded.add(Recorded.END);
            recordedAll = true;
        } finally {
            // Whatever ended the recording early, the writer is told, and gone before this call ends, so no
            // temporary file or thread outlives it; the caller hears of the recording's failure, not the writer's.
            if (!recordedAll) {
                recorded.add(Recorded.FAILED);
                try {
                    written.join();
                } catch (CompletionException ignored) {
                    // it failed on the marker
                }
                awaitEnd(writer);
            }
        }
        try {
            written.join();
            awaitEnd(writer);
        } catch (CompletionException e) {
            awaitEnd(writer);
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw e;
        }
    }

    /** Waits for {@code t} to end (its future completes just before it does), keeping an interrupt for the caller. */
    private static void awaitEnd(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** A kernel's class files as recorded, or one of the two markers that end the recording. */
    private record Recorded(String key, List<byte[]> files) {
        static final Recorded END = new Recorded("", List.of()), FAILED = new Recorded("", List.of());
    }

    private static Recorded next(BlockingQueue<Recorded> queue) {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the model jar", e);
        }
    }

    /**
     * {@code public final class cls extends JarModel}: a constructor, and typed methods like tfcompile's —
     * {@code float STEP(TrainingSession s, float[] x, int[] labels)} per train block (returns the loss; a double
     * for an f64 loss) and
     * {@code float[] OUTPUT(TrainingSession s, float[] x)} per output, taking the inputs each needs, in
     * declaration order — so application code is checked by javac.
     */
    static byte[] facade(String cls, String resource, Model m) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        String self = cls.replace('.', '/'), superName = JarModel.class.getName().replace('.', '/');
        cw.visit(Opcodes.V25, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, self, null, superName, null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitLdcInsn(resource);
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        Set<String> taken = new HashSet<>(Set.of("signature", "newSession", "trainTyped", "trainTyped64", "evaluateTyped", "evaluateTypedInto",
                "arguments", "feeds"));
        MethodVisitor clinit = cw.visitMethod(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
        clinit.visitCode();
        int fields = 0;
        for (descent.compiler.ir.TrainStep t : m.trains()) {
            String names = "names" + fields++;
            List<Integer> roots = new java.util.ArrayList<>(t.updates().stream().map(descent.compiler.ir.TrainStep.Update::value).toList());
            if (t.lossNode() >= 0) roots.add(t.lossNode());
            String loss = CompiledSession.lossName(m, t);
            namesField(cw, clinit, self, names, inputsFor(m, roots));
            // An f64 loss comes back as a double (trainTyped64), any other as a float.
            boolean f64 = loss != null && m.graph().type(t.lossNode()).dtype() == descent.runtime.DType.F64;
            typedMethod(cw, superName, javaName(t.name(), taken), f64 ? "D" : "F", inputsFor(m, roots), null, m,
                    (v, inputs) -> {
                        v.visitLdcInsn(t.name());
                        pushArrays(v, self, superName, names, inputs);
                        if (loss == null) v.visitInsn(Opcodes.ACONST_NULL); else v.visitLdcInsn(loss);
                        v.visitMethodInsn(Opcodes.INVOKEVIRTUAL, superName, f64 ? "trainTyped64" : "trainTyped",
                                "(Ldescent/runtime/api/TrainingSession;Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;Ljava/lang/String;)"
                                        + (f64 ? "D" : "F"), false);
                        v.visitInsn(f64 ? Opcodes.DRETURN : Opcodes.FRETURN);
                    });
        }
        for (var e : m.outputs().entrySet()) {
            String ret = "[" + descriptor(m.graph().type(e.getValue()).dtype());
            String names = "names" + fields++, intoNames = "names" + fields++;
            List<Model.InputInfo> inputs = inputsFor(m, List.of(e.getValue()));
            namesField(cw, clinit, self, names, inputs);
            namesField(cw, clinit, self, intoNames, inputs);
            String method = javaName(e.getKey(), taken);
            typedMethod(cw, superName, method, ret, inputs, null, m,
                    (v, in) -> {
                        v.visitLdcInsn(e.getKey());
                        pushArrays(v, self, superName, names, in);
                        v.visitMethodInsn(Opcodes.INVOKEVIRTUAL, superName, "evaluateTyped",
                                "(Ldescent/runtime/api/TrainingSession;Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/Object;", false);
                        v.visitTypeInsn(Opcodes.CHECKCAST, ret);
                        v.visitInsn(Opcodes.ARETURN);
                    });
            // The same with an array to fill (void NAME(session, inputs..., T[] into)): a loop of inferences
            // that allocates nothing.
            typedMethod(cw, superName, method, "V", inputs, ret, m,
                    (v, in) -> {
                        v.visitLdcInsn(e.getKey());
                        pushArrays(v, self, superName, intoNames, in);
                        v.visitVarInsn(Opcodes.ALOAD, 2 + in.size());
                        v.visitMethodInsn(Opcodes.INVOKEVIRTUAL, superName, "evaluateTypedInto",
                                "(Ldescent/runtime/api/TrainingSession;Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;Ljava/lang/Object;)V", false);
                        v.visitInsn(Opcodes.RETURN);
                    });
        }
        clinit.visitInsn(Opcodes.RETURN);
        clinit.visitMaxs(0, 0);
        clinit.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private interface Body { void emit(MethodVisitor v, List<Model.InputInfo> inputs); }

    /** {@code into}: the descriptor of a last parameter {@code into}, the array the method fills, or null for none. */
    private static void typedMethod(ClassWriter cw, String superName, String name, String ret, List<Model.InputInfo> inputs,
                                    String into, Model m, Body body) {
        StringBuilder desc = new StringBuilder("(Ldescent/runtime/api/TrainingSession;");
        for (Model.InputInfo in : inputs) desc.append('[').append(descriptor(in.type().dtype()));
        if (into != null) desc.append(into);
        desc.append(')').append(ret);
        MethodVisitor v = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL, name, desc.toString(), null, null);
        v.visitParameter("session", 0);
        for (Model.InputInfo in : inputs) v.visitParameter(in.name(), 0);
        if (into != null) v.visitParameter("into", 0);
        v.visitCode();
        v.visitVarInsn(Opcodes.ALOAD, 0);
        v.visitVarInsn(Opcodes.ALOAD, 1);
        body.emit(v, inputs);
        v.visitMaxs(0, 0);
        v.visitEnd();
    }

    /**
     * Pushes the method's {@code String[]} of input names (static field {@code names}: the same array every
     * call, which JarModel keys its per-method cache by) and an {@code Object[]} of its array parameters: this
     * thread's one for the method ({@code JarModel.arguments}), so that a call allocates nothing.
     */
    private static void pushArrays(MethodVisitor v, String self, String superName, String names, List<Model.InputInfo> inputs) {
        v.visitFieldInsn(Opcodes.GETSTATIC, self, names, "[Ljava/lang/String;");
        v.visitVarInsn(Opcodes.ALOAD, 0);
        v.visitFieldInsn(Opcodes.GETSTATIC, self, names, "[Ljava/lang/String;");
        v.visitMethodInsn(Opcodes.INVOKEVIRTUAL, superName, "arguments", "([Ljava/lang/String;)[Ljava/lang/Object;", false);
        for (int i = 0; i < inputs.size(); i++) {
            v.visitInsn(Opcodes.DUP);
            v.visitLdcInsn(i);
            v.visitVarInsn(Opcodes.ALOAD, 2 + i);
            v.visitInsn(Opcodes.AASTORE);
        }
    }

    /** {@code private static final String[] field = {names...}}, set in {@code clinit}. */
    private static void namesField(ClassWriter cw, MethodVisitor clinit, String self, String field, List<Model.InputInfo> inputs) {
        cw.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL, field, "[Ljava/lang/String;", null, null).visitEnd();
        clinit.visitLdcInsn(inputs.size());
        clinit.visitTypeInsn(Opcodes.ANEWARRAY, "java/lang/String");
        for (int i = 0; i < inputs.size(); i++) {
            clinit.visitInsn(Opcodes.DUP);
            clinit.visitLdcInsn(i);
            clinit.visitLdcInsn(inputs.get(i).name());
            clinit.visitInsn(Opcodes.AASTORE);
        }
        clinit.visitFieldInsn(Opcodes.PUTSTATIC, self, field, "[Ljava/lang/String;");
    }

    /** The model's inputs (in declaration order) that computing {@code roots} reads. */
    private static List<Model.InputInfo> inputsFor(Model m, List<Integer> roots) {
        java.util.BitSet need = new java.util.BitSet();
        for (int r : roots) need.set(r);
        for (int id = m.graph().size() - 1; id >= 0; id--) if (need.get(id)) for (int in : m.graph().node(id).inputs()) need.set(in);
        return m.inputs().stream().filter(i -> need.get(i.node())).toList();
    }

    private static String descriptor(descent.runtime.DType d) {
        return switch (d) {
            case F32 -> "F";
            case F64 -> "D";
            case I32 -> "I";
            case I64 -> "J";
        };
    }

    /** A model name as a Java method name, unique in the class. */
    /** Java's reserved keywords and literals (JLS 3.9, 3.10.3, 3.10.8), and `_`. */
    private static final Set<String> JAVA_KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case", "catch",
            "char", "class", "const", "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
            "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package",
            "private", "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this",
            "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null", "_");

    private static String javaName(String name, Set<String> taken) {
        String base = name.replaceAll("[^A-Za-z0-9_$]", "_");
        if (base.isEmpty() || !Character.isJavaIdentifierStart(base.charAt(0))) base = "_" + base;
        // A keyword (`default`, `int`) or literal would be a method javac cannot call.
        if (JAVA_KEYWORDS.contains(base)) base = base + "_";
        String n = base;
        for (int i = 2; !taken.add(n); i++) n = base + i;
        return n;
    }

    /**
     * A jar entry dated 1980-02-01 00:00 (as reproducible Maven builds date theirs), so that compiling a model
     * twice writes the same bytes.
     */
    static JarEntry entry(String name) {
        JarEntry e = new JarEntry(name);
        e.setTimeLocal(java.time.LocalDateTime.of(1980, 2, 1, 0, 0));
        return e;
    }

    private static void put(JarOutputStream jar, Set<String> seen, String name, byte[] bytes) throws IOException {
        if (!seen.add(name)) return;
        jar.putNextEntry(entry(name));
        jar.write(bytes);
        jar.closeEntry();
    }

    /**
     * The classes the jar carries besides the façade and the kernels: what the façade and the emitters (which make
     * the kernels a jar does not carry, and whose interfaces the kernels implement) reach in Descent's compiler and
     * ASM ({@link CodeClosure}).
     */
    private static Map<String, byte[]> code(byte[] facade) {
        Map<String, byte[]> available = new java.util.HashMap<>();
        // ASM's util, tree and analysis jars: what -Ddescent.verifyKernels checks generated classes with.
        for (Class<?> anchor : List.of(ModelJar.class, ClassWriter.class, org.objectweb.asm.util.CheckClassAdapter.class,
                org.objectweb.asm.tree.ClassNode.class, org.objectweb.asm.tree.analysis.Analyzer.class)) {
            try {
                available.putAll(classesBeside(anchor));
            } catch (IOException e) {
                throw new DescentException("cannot read the classes of " + anchor.getName() + " to put in the model jar: " + e.getMessage());
            }
        }
        List<byte[]> roots = new java.util.ArrayList<>(List.of(facade));
        String emit = descent.compiler.emit.Step.class.getPackageName().replace('.', '/') + "/";
        available.forEach((name, file) -> { if (name.startsWith(emit) && name.indexOf('/', emit.length()) < 0) roots.add(file); });
        return CodeClosure.of(available, roots);
    }

    /** The classes in the directory or jar {@code anchor} was loaded from, by internal name (the runtime's left out). */
    private static Map<String, byte[]> classesBeside(Class<?> anchor) throws IOException {
        Path src;
        try {
            src = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new DescentException("cannot locate the classes of " + anchor.getName() + " to put in the model jar");
        }
        Map<String, byte[]> classes = new java.util.HashMap<>();
        if (Files.isDirectory(src)) {
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String name = src.relativize(f).toString().replace('\\', '/');
                    if (keep(name)) classes.put(name.substring(0, name.length() - ".class".length()), Files.readAllBytes(f));
                }
            }
        } else {
            try (JarInputStream in = new JarInputStream(Files.newInputStream(src))) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    String name = e.getName();
                    if (!e.isDirectory() && keep(name)) classes.put(name.substring(0, name.length() - ".class".length()), readAll(in));
                }
            }
        }
        return classes;
    }

    /** This build's id ({@link KernelArchive#BUILD}), which the jar's copy of the compiler reads as its own. */
    private static byte[] buildResource() throws IOException {
        try (InputStream in = ModelJar.class.getClassLoader().getResourceAsStream(KernelArchive.BUILD_RESOURCE)) {
            return in == null ? ("build=" + KernelArchive.BUILD + "\n").getBytes(StandardCharsets.UTF_8) : in.readAllBytes();
        }
    }

    private static boolean keep(String name) {
        return name.endsWith(".class") && !name.endsWith("module-info.class") && !name.startsWith("META-INF/")
                && !name.startsWith("descent/runtime/");
    }

    private static byte[] readAll(InputStream in) throws IOException { return in.readAllBytes(); }
}
