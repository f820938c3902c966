package descent.compiler.backend;

import descent.compiler.emit.BlocksKernel;
import descent.compiler.emit.CopyKernel;
import descent.compiler.emit.ElementwiseKernel;
import descent.compiler.emit.FillKernel;
import descent.compiler.emit.IndexKernel;
import descent.compiler.emit.KernelClassFiles;
import descent.compiler.emit.Invocation;
import descent.compiler.emit.Invocation.Arg;
import descent.compiler.emit.LayoutKernel;
import descent.compiler.emit.MatmulF64Kernel;
import descent.compiler.emit.MatmulKernel;
import descent.compiler.emit.ReduceKernel;
import descent.compiler.emit.ReduceUpdateKernel;
import descent.compiler.emit.RowsKernel;
import descent.compiler.emit.SoftmaxF64Kernel;
import descent.compiler.emit.SoftmaxKernel;
import descent.compiler.emit.SoftmaxSparseXentKernel;
import descent.compiler.emit.SoftmaxXentKernel;
import descent.compiler.emit.StepWriter.Action;
import descent.compiler.emit.StepWriter.Test;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The executables a model jar carries as data ({@link Executable.Parts}): every call of a step with its kernel named
 * by its cache key, the buffer plan, the writes and the locks. A loaded jar builds a recorded step from these bytes
 * and its carried kernel classes alone, with no lowering and no emitter running; any executable it does not carry (a
 * thread count or fetch list not recorded) is lowered as without a jar.
 *
 * <p>The bytes hold what one build of Descent lowered for one vector length, so they are read only with the
 * kernels of the same index ({@link KernelArchive}: same build, same vector length); an executable that cannot be
 * read (or names a kernel the jar lacks) is lowered instead, after one line on stderr.
 */
final class CarriedExecutables {
    static final String RESOURCE = "META-INF/descent/executables.bin";
    private static final int MAGIC = 0x44455845;   // "DEXE"
    private static final int VERSION = 2;

    /** The encoded executables, by {@link #key}. */
    private final Map<String, byte[]> encoded;
    /** A digest of the checked model's bytes ({@code ModelCodec}) these executables were lowered from. */
    private final String model;
    /** The class files of a kernel by its key (null: none), as the jar carries them. */
    private final Function<String, List<byte[]>> kernelFiles;
    /** The kernels defined from those class files so far, by key: shared by every executable of the model. */
    private final Map<String, Object> kernels = new ConcurrentHashMap<>();

    /** {@code kernelFiles}: the class files of a kernel key (null when there are none; throws when they are damaged). */
    CarriedExecutables(Map<String, byte[]> encoded, String model, Function<String, List<byte[]>> kernelFiles) {
        this.encoded = Map.copyOf(encoded);
        this.model = model;
        this.kernelFiles = kernelFiles;
        this.steps = new ModelSteps.Loaded(kernelFiles);
    }

    /** The jar's model classes, which hold the steps of these executables. */
    private final ModelSteps.Loaded steps;

    static final CarriedExecutables NONE = new CarriedExecutables(Map.of(), "", key -> null);

    /** What names a checked model's bytes in the file: its executables are used only with that very model. */
    static String modelDigest(byte[] checkedModel) { return KernelArchive.digest(checkedModel); }

    /** An executable's name among those of its model: its session's key ({@code CompiledSession}) on so many threads. */
    static String key(int threads, String sessionKey) { return threads + " " + sessionKey; }

    int size() { return encoded.size(); }

    private static final java.util.concurrent.atomic.AtomicLong USED = new java.util.concurrent.atomic.AtomicLong();

    /** How many executables this JVM has built from a model jar's data. */
    static long used() { return USED.get(); }

    /**
     * The carried executable of {@code key} on {@code threads}, or null when the jar carries none or it cannot be
     * read (one line on stderr; the caller then lowers it).
     */
    Executable get(String key, StepThreads threads) {
        byte[] bytes = encoded.get(key);
        if (bytes == null) return null;
        try {
            Decoded d = decode(bytes);
            Executable exe = new Executable(d.parts(), threads, d.step() == null ? null : steps.step(d.step(), d.parts()));
            USED.incrementAndGet();
            return exe;
        } catch (IOException | RuntimeException | LinkageError e) {
            // A kernel class the JVM refuses (a LinkageError) is generated instead too, as Kernels.replay does.
            KernelArchive.warn("a step the model jar carries cannot be used (" + e + "); lowering it");
            return null;
        }
    }

    // ---- the file: a count, then each executable's key and bytes

    byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            writeString(out, model);
            out.writeInt(encoded.size());
            for (var e : new java.util.TreeMap<>(encoded).entrySet()) {
                writeString(out, e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
            out.writeLong(checksum(bytes.toByteArray(), bytes.size()));
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A CRC-32 of the first {@code n} bytes, which end the file: a damaged file (bytes that still parse could index
     * buffers that do not exist) is refused whole, as a kernel whose digest does not match is.
     */
    private static long checksum(byte[] bytes, int n) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes, 0, n);
        return crc.getValue();
    }

    /**
     * The executables in {@code file}, which must be those of the checked model whose bytes have digest {@code model}
     * ({@link #modelDigest}): a jar whose model was swapped after it was written would otherwise run another model's
     * steps on its own (different shapes, another activation).
     */
    static CarriedExecutables fromBytes(byte[] file, String model, Function<String, List<byte[]>> kernelFiles) throws IOException {
        if (file.length < 8 || java.nio.ByteBuffer.wrap(file, file.length - 8, 8).getLong() != checksum(file, file.length - 8)) {
            throw new IOException("its checksum does not match: damaged");
        }
        file = java.util.Arrays.copyOf(file, file.length - 8);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(file));
        if (in.readInt() != MAGIC || in.readInt() != VERSION) throw new IOException("not a file of executables this build reads");
        if (!readString(in).equals(model)) throw new IOException("its steps are another model's than the jar's");
        int n = length(in, 8);
        Map<String, byte[]> encoded = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String key = readString(in);
            byte[] bytes = new byte[length(in, 1)];
            in.readFully(bytes);
            encoded.put(key, bytes);
        }
        if (in.read() != -1) throw new IOException("bytes after the last executable");
        return new CarriedExecutables(encoded, model, kernelFiles);
    }

    // ---- one executable

    /** Thrown while encoding what is not data (a closure, a kernel of several class files): that executable is not carried. */
    static final class NotData extends Exception {
        NotData(String what) { super(what, null, false, false); }
    }

    /**
     * {@code p} as bytes, with where its step is in the jar's model class ({@code step}; null: it has a step class of
     * its own); call while recording (kernels are named by the keys {@link Kernels#keyOf} knows).
     */
    static byte[] encode(Executable.Parts p, ModelSteps.Entry step) throws NotData {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            writeNullable(out, p.symbol());
            out.writeInt(p.forks());
            writeStrings(out, p.lockedState());
            out.writeInt(p.lockFrom());
            out.writeInt(p.lockTo());
            writeStrings(out, p.written());
            writeInts(out, p.writtenIndex());
            writeInts(out, p.directValues());
            writeStrings(out, List.of(p.directStates()));
            p.buffers().write(out);
            Object[] actions = p.actions();
            Map<Action, Integer> seen = new java.util.IdentityHashMap<>();
            out.writeInt(actions.length);
            for (int i = 0; i < actions.length; i++) {
                if (actions[i] instanceof Executable.WriteAction w) {
                    out.writeByte(WRITE);
                    writeString(out, w.state());
                    out.writeInt(w.value());
                    out.writeInt(w.index());
                    out.writeBoolean(w.direct());
                } else {
                    writeAction(out, p.kinds().get(i), seen);
                }
            }
            out.writeBoolean(step != null);
            if (step != null) step.write(out);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An executable read back, and where its step is in the model class (null: none). */
    record Decoded(Executable.Parts parts, ModelSteps.Entry step) {}

    Decoded decode(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        String symbol = readNullable(in);
        int forks = in.readInt();
        List<String> lockedState = readStrings(in);
        int lockFrom = in.readInt(), lockTo = in.readInt();
        List<String> written = readStrings(in);
        int[] writtenIndex = readInts(in), directValues = readInts(in);
        String[] directStates = readStrings(in).toArray(String[]::new);
        BufferPlan buffers = BufferPlan.read(in);
        int n = length(in, 1);
        Object[] actions = new Object[n];
        List<Action> kinds = new ArrayList<>(n);
        List<Action> seen = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int tag = in.readByte();
            if (tag == WRITE) {
                Executable.WriteAction w = new Executable.WriteAction(readString(in), in.readInt(), in.readInt(), in.readBoolean());
                actions[i] = w;
                kinds.add(w.direct() ? new Action.None() : new Action.Write());
            } else {
                Action a = readAction(in, tag, seen);
                actions[i] = a instanceof Action.Invoke v ? v.invocation() : a;
                kinds.add(a);
            }
        }
        ModelSteps.Entry step = in.readBoolean() ? ModelSteps.Entry.read(in) : null;
        if (in.read() != -1) throw new IOException("bytes after the step");
        return new Decoded(new Executable.Parts(actions, kinds, buffers, symbol, written, writtenIndex, lockFrom, lockTo, lockedState,
                directValues, directStates, forks), step);
    }

    // ---- step actions

    private static final int INVOKE = 1, MOVE = 2, CHOOSE = 3, FORK = 4, WRITE = 5, SAME = 6;

    /**
     * Writes {@code a}, or, when the step holds this very action in an earlier place too (a fork's {@code onFailure}
     * that is also a choice's other branch), a reference to it: the step class indexes its constants by action object
     * (one held in two places is called through one index), so the actions read back must be shared as these are for
     * the class data to match the bytes the jar carries.
     */
    private static void writeAction(DataOutput out, Action a, Map<Action, Integer> seen) throws IOException, NotData {
        Integer earlier = seen.get(a);
        if (earlier != null) {
            out.writeByte(SAME);
            out.writeInt(earlier);
            return;
        }
        switch (a) {
            case Action.Invoke v -> {
                out.writeByte(INVOKE);
                writeString(out, v.label());
                writeInvocation(out, v.invocation());
            }
            case Action.Move m -> {
                out.writeByte(MOVE);
                out.writeInt(m.from());
                out.writeInt(m.to());
            }
            case Action.Choose c -> {
                out.writeByte(CHOOSE);
                writeTest(out, c.test());
                writeActions(out, c.then(), seen);
                writeActions(out, c.otherwise(), seen);
            }
            case Action.Fork f -> {
                out.writeByte(FORK);
                out.writeInt(f.parts().size());
                for (List<Action> part : f.parts()) writeActions(out, part, seen);
                writeActions(out, f.onFailure(), seen);
            }
            case Action.Call c -> throw new NotData("a closure (" + c.label() + ")");
            case Action.Write w -> throw new NotData("a write without its state");
            case Action.None x -> throw new NotData("a direct write without its state");
        }
        seen.put(a, seen.size());
    }

    private static void writeActions(DataOutput out, List<Action> actions, Map<Action, Integer> seen) throws IOException, NotData {
        out.writeInt(actions.size());
        for (Action a : actions) writeAction(out, a, seen);
    }

    private Action readAction(DataInputStream in, int tag, List<Action> seen) throws IOException {
        if (tag == SAME) {
            int i = in.readInt();
            if (i < 0 || i >= seen.size()) throw new IOException("a reference to action " + i + " of " + seen.size());
            return seen.get(i);
        }
        Action a = switch (tag) {
            case INVOKE -> {
                String label = readString(in);
                yield new Action.Invoke(readInvocation(in), label);
            }
            case MOVE -> new Action.Move(in.readInt(), in.readInt());
            case CHOOSE -> new Action.Choose(readTest(in), readActions(in, seen), readActions(in, seen));
            case FORK -> {
                int parts = length(in, 4);
                List<List<Action>> p = new ArrayList<>(parts);
                for (int i = 0; i < parts; i++) p.add(readActions(in, seen));
                yield new Action.Fork(p, readActions(in, seen));
            }
            default -> throw new IOException("unknown action " + tag);
        };
        seen.add(a);
        return a;
    }

    private List<Action> readActions(DataInputStream in, List<Action> seen) throws IOException {
        int n = length(in, 1);
        List<Action> actions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) actions.add(readAction(in, in.readByte(), seen));
        return actions;
    }

    private static void writeTest(DataOutput out, Test t) throws IOException {
        switch (t) {
            case Test.Below b -> { out.writeByte(1); out.writeLong(b.c()); out.writeInt(b.p()); out.writeLong(b.limit()); }
            case Test.Not n -> { out.writeByte(2); writeTest(out, n.test()); }
            case Test.Any a -> {
                out.writeByte(3);
                out.writeInt(a.tests().size());
                for (Test x : a.tests()) writeTest(out, x);
            }
        }
    }

    private static Test readTest(DataInputStream in) throws IOException {
        return switch (in.readByte()) {
            case 1 -> new Test.Below(in.readLong(), in.readInt(), in.readLong());
            case 2 -> new Test.Not(readTest(in));
            case 3 -> {
                int n = length(in, 1);
                List<Test> tests = new ArrayList<>(n);
                for (int i = 0; i < n; i++) tests.add(readTest(in));
                yield new Test.Any(tests);
            }
            default -> throw new IOException("unknown test");
        };
    }

    // ---- invocations: the kernel, its interface, the method and the arguments

    /** The interfaces a step calls kernels through, and the types of their array arguments. */
    private static final List<Class<?>> INTERFACES = List.of(ElementwiseKernel.class, MatmulKernel.class, MatmulF64Kernel.class,
            RowsKernel.class, ReduceKernel.class, ReduceUpdateKernel.class, SoftmaxKernel.class, SoftmaxXentKernel.class,
            SoftmaxSparseXentKernel.class, SoftmaxF64Kernel.class, LayoutKernel.class, FillKernel.class, CopyKernel.class,
            IndexKernel.class, BlocksKernel.class);
    private static final List<Class<?>> TYPES = List.of(Object.class, float[].class, double[].class, int[].class, long[].class,
            float[][].class, double[][].class, Object[].class);

    private static void writeClass(DataOutput out, List<Class<?>> table, Class<?> c) throws IOException, NotData {
        int i = table.indexOf(c);
        if (i < 0) throw new NotData("a call through " + c.getName());
        out.writeByte(i);
    }

    private static Class<?> readClass(DataInputStream in, List<Class<?>> table) throws IOException {
        int i = in.readByte();
        if (i < 0 || i >= table.size()) throw new IOException("unknown type " + i);
        return table.get(i);
    }

    private static void writeInvocation(DataOutput out, Invocation v) throws IOException, NotData {
        writeClass(out, INTERFACES, v.type());
        writeString(out, v.method());
        writeKernel(out, v.kernel());
        out.writeInt(v.args().size());
        for (Arg a : v.args()) writeArg(out, a);
    }

    private Invocation readInvocation(DataInputStream in) throws IOException {
        Class<?> type = readClass(in, INTERFACES);
        String method = readString(in);
        Object kernel = readKernel(in, type);
        int n = length(in, 1);
        List<Arg> args = new ArrayList<>(n);
        for (int i = 0; i < n; i++) args.add(readArg(in));
        return new Invocation(kernel, type, method, args);
    }

    /** Generated kernels by key; the backend's small kernels (records behind the step's interfaces) by their fields. */
    private static final int KEY = 1, CONSTANT = 2, DIM_SIZE = 3, RANDOM_NORMAL = 4, COPY_APART = 5, CHECKED_IDS = 6,
            WHOLE = 7, BLOCKS = 8, NULL = 9;

    private static void writeKernel(DataOutput out, Object kernel) throws IOException, NotData {
        switch (kernel) {
            case null -> out.writeByte(NULL);
            case FillCalls.Constant c -> { out.writeByte(CONSTANT); out.writeDouble(c.value()); }
            case FillCalls.DimSize d -> { out.writeByte(DIM_SIZE); out.writeLong(d.fixed()); out.writeInt(d.batches()); }
            case FillCalls.RandomNormal r -> {
                out.writeByte(RANDOM_NORMAL);
                out.writeLong(r.seed());
                out.writeDouble(r.mean());
                out.writeDouble(r.stddev());
            }
            case RowsCalls.CopyApart c -> out.writeByte(COPY_APART);
            case SparseRowsCalls.CheckedIds c -> { out.writeByte(CHECKED_IDS); out.writeInt(c.rows()); }
            case ReduceCalls.Whole w -> {
                out.writeByte(WHOLE);
                writeKernel(out, w.reduce());
                writeKernel(out, w.update());
                writeInts(out, w.inOff());
                writeInts(out, w.outOff());
                out.writeInt(w.length());
                out.writeInt(w.rowLength());
            }
            case ProductUpdateCalls.Blocks b -> {
                out.writeByte(BLOCKS);
                out.writeInt(b.block());
                out.writeInt(b.cols());
                out.writeBoolean(b.kept());
                out.writeInt(b.cIndex());
                writeInts(out, b.full());
                out.writeInt(b.byHeight().length);
                for (MatmulKernel k : b.byHeight()) writeKernel(out, k);
                writeKernel(out, b.update());
            }
            default -> {
                String key = Kernels.keyOf(kernel);
                if (key == null) throw new NotData("a kernel without a key of one class file: " + kernel.getClass().getName());
                out.writeByte(KEY);
                writeString(out, key);
            }
        }
    }

    private Object readKernel(DataInputStream in, Class<?> type) throws IOException {
        int tag = in.readByte();
        return switch (tag) {
            case NULL -> null;
            case KEY -> kernel(readString(in), type);
            case CONSTANT -> new FillCalls.Constant(in.readDouble());
            case DIM_SIZE -> new FillCalls.DimSize(in.readLong(), in.readInt());
            case RANDOM_NORMAL -> new FillCalls.RandomNormal(in.readLong(), in.readDouble(), in.readDouble());
            case COPY_APART -> RowsCalls.CopyApart.INSTANCE;
            case CHECKED_IDS -> new SparseRowsCalls.CheckedIds(in.readInt());
            case WHOLE -> new ReduceCalls.Whole((ReduceKernel) readKernel(in, ReduceKernel.class),
                    (ElementwiseKernel) readKernel(in, ElementwiseKernel.class), readInts(in), readInts(in), in.readInt(), in.readInt());
            case BLOCKS -> {
                int block = in.readInt(), cols = in.readInt();
                boolean kept = in.readBoolean();
                int cIndex = in.readInt();
                int[] full = readInts(in);
                MatmulKernel[] byHeight = new MatmulKernel[length(in, 1)];
                for (int h = 0; h < byHeight.length; h++) byHeight[h] = (MatmulKernel) readKernel(in, MatmulKernel.class);
                yield new ProductUpdateCalls.Blocks(block, cols, kept, cIndex, full, byHeight,
                        (ElementwiseKernel) readKernel(in, ElementwiseKernel.class));
            }
            default -> throw new IOException("unknown kernel " + tag);
        };
    }

    /**
     * The kernel of {@code key}: its one class file defined and instantiated without its emitter (every generated kernel
     * class has a no-argument constructor), once per model.
     */
    private Object kernel(String key, Class<?> type) throws IOException {
        Object made = kernels.get(key);
        if (made == null) {
            List<byte[]> files = kernelFiles.apply(key);
            if (files == null || files.size() != 1) throw new IOException("the jar carries no kernel " + key);
            made = KernelClassFiles.instantiate(files.getFirst(), type);
            Object first = kernels.putIfAbsent(key, made);
            if (first != null) made = first;
            else Kernels.countReplayed();
        }
        if (!type.isInstance(made)) throw new IOException("kernel " + key + " is not a " + type.getSimpleName());
        return made;
    }

    // ---- arguments

    private static void writeArg(DataOutput out, Arg a) throws IOException, NotData {
        switch (a) {
            case Arg.Slot s -> { out.writeByte(1); out.writeInt(s.slot()); writeClass(out, TYPES, s.type()); }
            case Arg.Count c -> { out.writeByte(2); writeCount(out, c); }
            case Arg.Span s -> { out.writeByte(3); writeSpan(out, s); }
            case Arg.Offsets o -> {
                out.writeByte(4);
                out.writeInt(o.slot());
                writeInts(out, o.full().values());
                writeSpan(out, o.from());
            }
            case Arg.Grown g -> { out.writeByte(5); out.writeInt(g.slot()); writeCount(out, g.floats()); }
            case Arg.Step s -> out.writeByte(6);
            case Arg.Null n -> { out.writeByte(7); writeClass(out, TYPES, n.type()); }
            case Arg.Gathered g -> {
                out.writeByte(8);
                out.writeInt(g.holder());
                writeInts(out, g.slots());
                writeClass(out, TYPES, g.type());
            }
            case Arg.Ints i -> { out.writeByte(9); writeInts(out, i.values()); }
        }
    }

    private static Arg readArg(DataInputStream in) throws IOException {
        return switch (in.readByte()) {
            case 1 -> new Arg.Slot(in.readInt(), readClass(in, TYPES));
            case 2 -> readCount(in);
            case 3 -> readSpan(in);
            case 4 -> new Arg.Offsets(in.readInt(), new Arg.Ints(readInts(in)), readSpan(in));
            case 5 -> new Arg.Grown(in.readInt(), readCount(in));
            case 6 -> new Arg.Step();
            case 7 -> new Arg.Null(readClass(in, TYPES));
            case 8 -> new Arg.Gathered(in.readInt(), readInts(in), readClass(in, TYPES));
            case 9 -> new Arg.Ints(readInts(in));
            default -> throw new IOException("unknown argument");
        };
    }

    private static void writeCount(DataOutput out, Arg.Count c) throws IOException { out.writeLong(c.c()); out.writeInt(c.p()); }

    private static Arg.Count readCount(DataInputStream in) throws IOException { return new Arg.Count(in.readLong(), in.readInt()); }

    private static void writeSpan(DataOutput out, Arg.Span s) throws IOException {
        writeCount(out, s.length());
        writeCount(out, s.unit());
        out.writeInt(s.part());
        out.writeInt(s.parts());
        out.writeBoolean(s.ofLength());
        out.writeInt(s.scale());
    }

    private static Arg.Span readSpan(DataInputStream in) throws IOException {
        return new Arg.Span(readCount(in), readCount(in), in.readInt(), in.readInt(), in.readBoolean(), in.readInt());
    }

    // ---- plain values

    private static void writeInts(DataOutput out, int[] values) throws IOException {
        out.writeInt(values.length);
        for (int v : values) out.writeInt(v);
    }

    private static int[] readInts(DataInputStream in) throws IOException {
        int[] values = new int[length(in, 4)];
        for (int i = 0; i < values.length; i++) values[i] = in.readInt();
        return values;
    }

    /** A string of any length (DataOutput.writeUTF stops at 64 KB; a fused kernel's key can be longer). */
    private static void writeString(DataOutput out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] b = new byte[length(in, 1)];
        in.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A count of items of {@code size} bytes each that the bytes left can hold (damaged bytes must not allocate wildly). */
    private static int length(DataInputStream in, int size) throws IOException {
        int n = in.readInt();
        if (n < 0 || (long) n * size > in.available()) throw new IOException("a length of " + n + " past the end");
        return n;
    }

    private static void writeStrings(DataOutput out, List<String> values) throws IOException {
        out.writeInt(values.size());
        for (String v : values) writeString(out, v);
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int n = length(in, 4);
        List<String> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) values.add(readString(in));
        return values;
    }

    private static void writeNullable(DataOutput out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) writeString(out, s);
    }

    private static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? readString(in) : null;
    }
}
