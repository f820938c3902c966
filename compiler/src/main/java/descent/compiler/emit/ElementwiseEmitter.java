package descent.compiler.emit;


/**
 * Compiles a {@link FusedExpr} into one loop, emitted with ASM as a hidden class implementing
 * {@link ElementwiseKernel}.
 *
 * <pre>
 * FusedExpr e = FusedExpr.from(graph, List.of(mNew, vNew, varNew), leaves);   // or FusedExpr.builder()
 * ElementwiseKernel k = ElementwiseEmitter.compile(e, ElementwiseEmitter.styleFor(e));
 * k.run(new float[][] {g, m, v, w, lr, ...}, inOffsets, new float[][] {m, v, w}, outOffsets, n, 0);
 * </pre>
 *
 * <p><b>Numbers.</b> Each node gives the float the reference interpreter gives (its formula in double,
 * rounded to float): bitwise for every op in every style except transcendental formulas in the
 * {@link ElementwiseStyle#VECTOR VECTOR} style (float-lane vector math, a few ulps) and, rarely, in
 * {@link ElementwiseStyle#VECTOR_DOUBLE_MATH VECTOR_DOUBLE_MATH} (at most 1 ulp; none measured). See
 * {@link ElementwiseFormulas} for how, and {@link ElementwiseStyle} for the measured bounds.
 *
 * <p><b>Cold start.</b> Vector API code is very slow until C2 compiles it (here: the first call of a
 * fresh JVM 70-180 ms, then ~1 ms per call on 1K elements until C2 arrives after a few thousand calls);
 * a kernel run once (one-shot evaluation, a test) is better compiled {@link ElementwiseStyle#SCALAR SCALAR}.
 *
 * <p><b>Cost.</b> Emitting a kernel takes ~1.5 ms, defining the hidden class ~1.4 ms (and ASM's
 * CheckClassAdapter.verify, which tests run, ~1.3 ms). The class is unloaded with its last reference.
 */
public final class ElementwiseEmitter {
    private ElementwiseEmitter() {}

    /** The class file of a kernel computing {@code expr} (hidden-class bytes: load with {@link #load}). */
    public static byte[] emit(FusedExpr expr, ElementwiseStyle style) {
        if (style.usesVectorApi() && !vectorApiAvailable()) {
            throw new IllegalStateException("style " + style + " needs the jdk.incubator.vector module with SIMD hardware; "
                    + "run with --add-modules jdk.incubator.vector, or use ElementwiseStyle.SCALAR");
        }
        return ElementwiseClassWriter.write(expr, style);
    }

    /** Defines {@code classBytes} (from {@link #emit}) as a hidden class and instantiates it. */
    public static ElementwiseKernel load(byte[] classBytes) {
        return KernelClassFile.instantiate(classBytes, ElementwiseKernel.class, "elementwise kernel");
    }

    public static ElementwiseKernel compile(FusedExpr expr, ElementwiseStyle style) {
        return load(KernelClassFiles.generated(() -> emit(expr, style)));
    }

    /**
     * A kernel that also implements {@link ElementwiseKernel#runRows}, reading the inputs flagged in
     * {@code gathered} (FULL inputs) at listed rows.
     */
    public static ElementwiseKernel compileRows(FusedExpr expr, boolean[] gathered, ElementwiseStyle style) {
        return load(KernelClassFiles.generated(() -> emitRows(expr, gathered, style)));
    }

    private static byte[] emitRows(FusedExpr expr, boolean[] gathered, ElementwiseStyle style) {
        if (gathered.length != expr.inputs().size()) throw new IllegalArgumentException("one flag per input");
        for (int k = 0; k < gathered.length; k++) {
            if (gathered[k] && expr.inputs().get(k) != InputKind.FULL) throw new IllegalArgumentException("input " + k + " is not FULL");
        }
        if (style.usesVectorApi() && !vectorApiAvailable()) throw new IllegalStateException("style " + style + " needs jdk.incubator.vector");
        return ElementwiseClassWriter.write(expr, style, gathered.clone());
    }

    /**
     * The backend's kernel for {@code expr} (rows flagged in {@code gathered} read at listed rows, or null for a
     * plain kernel): in {@link #styleFor}'s style, or {@link ElementwiseStyle#SCALAR} when that style's loop
     * method would be too large for HotSpot to compile ({@link KernelClassFile#HUGE_METHOD}; double-lane math
     * inlines each transcendental as ~400-1,300 bytes, so a pass fusing a dozen of them could otherwise stay
     * interpreted for good).
     */
    public static ElementwiseKernel compileForBackend(FusedExpr expr, boolean[] gathered) {
        return load(KernelClassFiles.generated(() -> {
            ElementwiseStyle style = styleFor(expr);
            byte[] bytes = gathered == null ? emit(expr, style) : emitRows(expr, gathered, style);
            if (style.usesVectorApi() && KernelClassFile.largestMethod(bytes) >= KernelClassFile.HUGE_METHOD) {
                bytes = gathered == null ? emit(expr, ElementwiseStyle.SCALAR) : emitRows(expr, gathered, ElementwiseStyle.SCALAR);
            }
            return bytes;
        }));
    }

    /**
     * The style the backend compiles {@code expr} in: {@link ElementwiseStyle#VECTOR_DOUBLE_MATH} when the Vector
     * API is usable, whose results do not depend on the JIT tier; {@link ElementwiseStyle#SCALAR} without it, and
     * for an expression with sin, cos or pow, which only the JDK's vector math library evaluates in vector lanes
     * (its bits change when C2 compiles the kernel; {@code Math}'s are the same in every tier).
     */
    public static ElementwiseStyle styleFor(FusedExpr expr) {
        if (!vectorApiAvailable()) return ElementwiseStyle.SCALAR;
        for (ExprNode n : expr.nodes()) {
            boolean libraryMath = n instanceof ExprNode.Unary u && (u.fn() == descent.compiler.ir.UnaryFn.SIN || u.fn() == descent.compiler.ir.UnaryFn.COS)
                    || n instanceof ExprNode.Binary b && b.fn() == descent.compiler.ir.BinaryFn.POW;
            if (libraryMath) return ElementwiseStyle.SCALAR;
        }
        return ElementwiseStyle.VECTOR_DOUBLE_MATH;
    }

    /**
     * Whether {@code jdk.incubator.vector} is in the boot layer (the JVM was started with
     * {@code --add-modules jdk.incubator.vector}) and its preferred float species has at least 4 lanes
     * (SIMD hardware: without it every vector op runs as a Java loop, far slower than scalar code).
     */
    public static boolean vectorApiAvailable() { return VectorProbe.AVAILABLE; }

    /** Looked up reflectively, so this class links and runs without the incubator module. */
    private static final class VectorProbe {
        static final boolean AVAILABLE = probe();

        private static boolean probe() {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return false;
            try {
                Object species = Class.forName("jdk.incubator.vector.FloatVector").getField("SPECIES_PREFERRED").get(null);
                int lanes = (int) Class.forName("jdk.incubator.vector.VectorSpecies").getMethod("length").invoke(species);
                return lanes >= 4;
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
