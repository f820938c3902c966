package descent.compiler.emit;

import descent.compiler.emit.ElementwiseLanes.Val;
import java.util.BitSet;
import java.util.function.IntSupplier;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes the class of one fused elementwise kernel:
 * <pre>
 * final class ElementwiseKernelImpl implements ElementwiseKernel {
 *     static final VectorSpecies&lt;Float&gt; F;   // vector styles; FloatVector.SPECIES_PREFERRED, or as
 *     static final VectorSpecies&lt;Double&gt; D;  // many lanes as D when the body uses double lanes
 *     public void run(float[][] in, int[] inOff, float[][] out, int[] outOff, int length, int rowLength) {
 *     // (an f64 expression: run64 over double[][] instead, scalar style)
 *         // check length (and rowLength); unpack arrays and offsets into locals
 *         // loop-invariant nodes (SCALAR inputs and constants only), once, in scalar code; broadcast them
 *         for (i = 0; i &lt; F.loopBound(length); i += F.length()) { loads; node formulas; stores }
 *         if (i &lt; length) { m = F.indexInRange(i, length); the same body with masked loads/stores }
 *     }
 * }
 * </pre>
 * With ROW inputs the loop is rows × columns (the masked tail once per row), so the row operand is a
 * contiguous load at the column index. The scalar style is the same skeleton with step 1 and no tail,
 * twice: once for all-zero offsets (which C2 can auto-vectorize), once for any offsets.
 * The masked tail runs the body's own instructions, so an element's result never depends on whether it
 * falls in the tail.
 */
final class ElementwiseClassWriter implements Opcodes {
    /** Hidden classes must live in the lookup's package; the JVM appends a unique suffix. */
    static final String NAME = "descent/compiler/emit/GeneratedElementwise";
    static final String RUN_DESC = "([[F[I[[F[III)V";
    /** {@code run64}: an f64 expression's loop, over double arrays (scalar style only). */
    static final String RUN64_DESC = "([[D[I[[D[III)V";
    private static final int IN = 1, IN_OFF = 2, OUT = 3, OUT_OFF = 4, LENGTH = 5, ROW_LENGTH = 6, FIRST_FREE = 7;
    /** {@code tail(in, inOff, out, outOff, i, n, fullIdx, rowIdx)}: the masked last vector, its own method. */
    private static final String TAIL_DESC = "([[F[I[[F[IIIII)V";
    private static final int TAIL_I = 5, TAIL_N = 6, TAIL_FULL = 7, TAIL_ROW = 8, TAIL_FIRST_FREE = 9;
    /** {@code runRows(in, inOff, out, outOff, idx, mask, from, to, width)}: see {@link ElementwiseKernel#runRows}. */
    static final String ROWS_DESC = "([[F[I[[F[I[I[FIII)V";
    private static final int ROWS_IDX = 5, ROWS_MASK = 6, ROWS_FROM = 7, ROWS_TO = 8, ROWS_WIDTH = 9, ROWS_FIRST_FREE = 10;
    /** {@code rowsTails(in, inOff, out, outOff, idx, mask, from, to, width)}: every listed row's masked last vector. */

    private ElementwiseClassWriter() {}

    static byte[] write(FusedExpr expr, ElementwiseStyle style) { return write(expr, style, null); }

    /**
     * With {@code gathered} (one flag per input), the class also implements {@link ElementwiseKernel#runRows}:
     * flagged inputs and every output are read and written at a listed row, the other FULL inputs at the
     * position's own row.
     */
    static byte[] write(FusedExpr expr, ElementwiseStyle style, boolean[] gathered) {
        boolean vector = style.usesVectorApi();
        if (expr.f64() && (vector || gathered != null)) {
            // C2 vectorizes the scalar loop over doubles (zero offsets); f64 sparse row loops are not lowered.
            throw new IllegalArgumentException("an f64 expression compiles in the SCALAR style, without gathered rows");
        }
        // A dry run on a no-op visitor finds out whether the body needs double lanes (that decides the species).
        boolean wideLanes = vector && new RunMethod(expr, style, new MethodVisitor(ASM9) {}, false).emit();

        ClassWriter cw = KernelClassFile.newWriter();
        KernelClassFile.header(cw, NAME, Type.getInternalName(ElementwiseKernel.class));
        if (vector) speciesFields(cw, wideLanes);

        KernelClassFile.constructor(cw);

        MethodVisitor run = expr.f64() ? cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run64", RUN64_DESC, null, null)
                : cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "run", RUN_DESC, null, null);
        run.visitCode();
        new RunMethod(expr, style, run, false).emit();
        run.visitMaxs(0, 0);
        run.visitEnd();
        if (vector) {
            // The masked tail is a method of its own: with the main loop's body beside it, run() can outgrow what
            // C1 can register-allocate ("out of virtual registers"), and a method C1 gives up on is never handed to
            // C2, so it runs with every Vector API call boxed (JitBailoutTest).
            MethodVisitor tail = cw.visitMethod(ACC_PRIVATE | ACC_FINAL, "tail", TAIL_DESC, null, null);
            tail.visitCode();
            new RunMethod(expr, style, tail, true).emit();
            tail.visitMaxs(0, 0);
            tail.visitEnd();
        }
        if (gathered != null) {
            MethodVisitor rows = cw.visitMethod(ACC_PUBLIC | ACC_FINAL, "runRows", ROWS_DESC, null, null);
            rows.visitCode();
            new RunMethod(expr, style, rows, Mode.ROWS, gathered).emit();
            rows.visitMaxs(0, 0);
            rows.visitEnd();
            if (vector) {
                MethodVisitor tail = cw.visitMethod(ACC_PRIVATE | ACC_FINAL, "rowsTails", ROWS_DESC, null, null);
                tail.visitCode();
                new RunMethod(expr, style, tail, Mode.ROWS_TAIL, gathered).emit();
                tail.visitMaxs(0, 0);
                tail.visitEnd();
            }
        }

        MethodVisitor str = cw.visitMethod(ACC_PUBLIC, "toString", "()Ljava/lang/String;", null, null);
        str.visitCode();
        str.visitLdcInsn("ElementwiseKernel " + style + (wideLanes ? " (double lanes)" : "") + "\n" + expr);
        str.visitInsn(ARETURN);
        str.visitMaxs(0, 0);
        str.visitEnd();

        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * {@code F = FloatVector.SPECIES_PREFERRED}, or, with double lanes, {@code D = DoubleVector.SPECIES_PREFERRED}
     * and {@code F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2))}. Chosen
     * in the static initialiser, not at emit time, so the class file is portable across machines.
     */
    private static void speciesFields(ClassWriter cw, boolean wide) {
        String ls = ElementwiseVectorLanes.L_SPECIES;
        cw.visitField(ACC_STATIC | ACC_FINAL, "F", ls, "Ljdk/incubator/vector/VectorSpecies<Ljava/lang/Float;>;", null).visitEnd();
        if (wide) cw.visitField(ACC_STATIC | ACC_FINAL, "D", ls, "Ljdk/incubator/vector/VectorSpecies<Ljava/lang/Double;>;", null).visitEnd();
        MethodVisitor mv = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
        mv.visitCode();
        if (wide) {
            mv.visitFieldInsn(GETSTATIC, ElementwiseVectorLanes.DV, "SPECIES_PREFERRED", ls);
            mv.visitFieldInsn(PUTSTATIC, NAME, "D", ls);
            mv.visitFieldInsn(GETSTATIC, "java/lang/Float", "TYPE", "Ljava/lang/Class;");
            mv.visitFieldInsn(GETSTATIC, NAME, "D", ls);
            mv.visitMethodInsn(INVOKEINTERFACE, ElementwiseVectorLanes.SPECIES, "vectorBitSize", "()I", true);
            mv.visitInsn(ICONST_2);
            mv.visitInsn(IDIV);
            String shape = ElementwiseVectorLanes.PKG + "VectorShape";
            mv.visitMethodInsn(INVOKESTATIC, shape, "forBitSize", "(I)L" + shape + ";", false);
            mv.visitMethodInsn(INVOKESTATIC, ElementwiseVectorLanes.SPECIES, "of", "(Ljava/lang/Class;L" + shape + ";)" + ls, true);
        } else {
            mv.visitFieldInsn(GETSTATIC, ElementwiseVectorLanes.FV, "SPECIES_PREFERRED", ls);
        }
        mv.visitFieldInsn(PUTSTATIC, NAME, "F", ls);
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** Which method a {@link RunMethod} writes. */
    private enum Mode { RUN, TAIL, ROWS, ROWS_TAIL }

    /** The body of {@code run}; {@link #emit} returns whether it used double lanes. */
    private static final class RunMethod {
        private final FusedExpr expr;
        private final ElementwiseStyle style;
        private final MethodVisitor mv;
        private final ElementwiseLanes.Slots slots;
        /** Whether this is the {@code tail} method rather than {@code run}. */
        private final boolean tailMethod;
        private final ElementwiseLanes lanes;
        private final ElementwiseFormulas formulas;
        private final BitSet live, uniform;
        private final int[] inArray, inOff, outArray, outOff;
        /** Values of the loop-invariant nodes, broadcast to the body's lanes. */
        private final Val[] invariant;
        /** Whether the loop being emitted indexes without offsets (all are 0; see {@link #scalarLoops}). */
        private boolean zeroOffsets;

        /** ROWS and ROWS_TAIL: which inputs are read at the listed row (else null). */
        private final boolean[] gathered;
        private final Mode mode;
        /** The local holding a listed row's element index while a ROWS body is emitted. */
        private int gatherIdx = -1;

        RunMethod(FusedExpr expr, ElementwiseStyle style, MethodVisitor mv, boolean tailMethod) {
            this(expr, style, mv, tailMethod ? Mode.TAIL : Mode.RUN, null);
        }

        RunMethod(FusedExpr expr, ElementwiseStyle style, MethodVisitor mv, Mode mode, boolean[] gathered) {
            this.expr = expr;
            this.style = style;
            this.mv = mv;
            this.mode = mode;
            this.gathered = gathered;
            this.tailMethod = mode == Mode.TAIL || mode == Mode.ROWS_TAIL;
            this.slots = new ElementwiseLanes.Slots(mode == Mode.ROWS || mode == Mode.ROWS_TAIL ? ROWS_FIRST_FREE
                    : tailMethod ? TAIL_FIRST_FREE : FIRST_FREE);
            this.lanes = style.usesVectorApi() ? new ElementwiseVectorLanes(mv, slots, NAME) : new ElementwiseScalarLanes(mv, slots, expr.f64());
            this.formulas = new ElementwiseFormulas(lanes, style != ElementwiseStyle.VECTOR, expr.f64());
            this.live = expr.live();
            this.uniform = expr.uniform();
            this.inArray = new int[expr.inputs().size()];
            this.inOff = new int[expr.inputs().size()];
            this.outArray = new int[expr.outputs().size()];
            this.outOff = new int[expr.outputs().size()];
            this.invariant = new Val[expr.nodes().size()];
        }

        boolean emit() {
            if (mode == Mode.ROWS || mode == Mode.ROWS_TAIL) {
                unpackArrays();
                loopInvariants();
                listedRows(mode == Mode.ROWS_TAIL);
                mv.visitInsn(RETURN);
                return lanes.usedWide;
            }
            if (tailMethod) {
                unpackArrays();
                loopInvariants();
                body(TAIL_FULL, expr.hasRowInputs() ? TAIL_ROW : -1, ((ElementwiseVectorLanes) lanes).tailMask(TAIL_I, TAIL_N));
                mv.visitInsn(RETURN);
                return lanes.usedWide;
            }
            checkArguments();
            unpackArrays();
            loopInvariants();
            if (vector()) loops(); else scalarLoops();
            mv.visitInsn(RETURN);
            return lanes.usedWide;
        }

        private void loops() {
            if (expr.hasRowInputs()) rowsTimesColumns(); else flatLoop();
        }

        /**
         * C2 auto-vectorizes a scalar loop only if it can prove its stores do not overlap its loads at a
         * different distance. Here the arrays come from {@code in[]} and {@code out[]} (an in-place update
         * reads and writes one array through two references) and are indexed {@code a[offA + i]}; JDK 25's
         * SuperWord gives up on that shape, even when all offsets are equal, and the loop stays scalar (Adam:
         * 2.4 ns per element instead of 0.4). With every index plain {@code i} it vectorizes. So when every
         * offset is 0 at run time — each tensor in its own array, the common layout — the loop runs without
         * offsets; otherwise a second copy of the loop handles any offsets.
         */
        private void scalarLoops() {
            Label general = new Label(), done = new Label();
            for (int k = 0; k < inOff.length; k++) {
                if (inArray[k] == 0) continue;
                mv.visitVarInsn(ILOAD, inOff[k]);
                mv.visitJumpInsn(IFNE, general);
            }
            for (int off : outOff) {
                mv.visitVarInsn(ILOAD, off);
                mv.visitJumpInsn(IFNE, general);
            }
            zeroOffsets = true;
            loops();
            zeroOffsets = false;
            mv.visitJumpInsn(GOTO, done);
            mv.visitLabel(general);
            loops();
            mv.visitLabel(done);
        }

        private void checkArguments() {
            Label positive = new Label(), empty = new Label();
            mv.visitVarInsn(ILOAD, LENGTH);
            mv.visitJumpInsn(IFGT, positive);
            mv.visitVarInsn(ILOAD, LENGTH);
            mv.visitJumpInsn(IFEQ, empty);
            fail("length must not be negative");
            mv.visitLabel(empty);
            mv.visitInsn(RETURN);
            mv.visitLabel(positive);
            if (expr.hasRowInputs()) {
                Label bad = new Label(), ok = new Label();
                mv.visitVarInsn(ILOAD, ROW_LENGTH);
                mv.visitJumpInsn(IFLE, bad);
                mv.visitVarInsn(ILOAD, LENGTH);
                mv.visitVarInsn(ILOAD, ROW_LENGTH);
                mv.visitInsn(IREM);
                mv.visitJumpInsn(IFEQ, ok);
                mv.visitLabel(bad);
                fail("rowLength must be positive and divide length (the kernel has ROW inputs)");
                mv.visitLabel(ok);
            }
        }

        private void fail(String message) {
            mv.visitTypeInsn(NEW, "java/lang/IllegalArgumentException");
            mv.visitInsn(DUP);
            mv.visitLdcInsn(message);
            mv.visitMethodInsn(INVOKESPECIAL, "java/lang/IllegalArgumentException", "<init>", "(Ljava/lang/String;)V", false);
            mv.visitInsn(ATHROW);
        }

        /** Array references and offsets into locals, read once (SCALAR inputs are read in {@link #loopInvariants}). */
        private void unpackArrays() {
            for (int id = live.nextSetBit(0); id >= 0; id = live.nextSetBit(id + 1)) {
                if (expr.nodes().get(id) instanceof ExprNode.Input in && !uniform.get(id) && inArray[in.index()] == 0) {
                    inArray[in.index()] = slots.take(1);
                    inOff[in.index()] = slots.take(1);
                    unpack(IN, IN_OFF, in.index(), inArray[in.index()], inOff[in.index()]);
                }
            }
            for (int j = 0; j < outArray.length; j++) {
                outArray[j] = slots.take(1);
                outOff[j] = slots.take(1);
                unpack(OUT, OUT_OFF, j, outArray[j], outOff[j]);
            }
        }

        private void unpack(int arrays, int offsets, int k, int arraySlot, int offSlot) {
            mv.visitVarInsn(ALOAD, arrays);
            lanes.push(k);
            mv.visitInsn(AALOAD);
            mv.visitVarInsn(ASTORE, arraySlot);
            mv.visitVarInsn(ALOAD, offsets);
            lanes.push(k);
            mv.visitInsn(IALOAD);
            mv.visitVarInsn(ISTORE, offSlot);
        }

        /**
         * Nodes that read only SCALAR inputs and constants (Adam's lr·sqrt(1-β2ᵗ)/(1-β1ᵗ), a hyperparameter's
         * 1-β) are computed once with scalar code, which is bitwise the interpreter even for transcendentals,
         * then broadcast for the loop.
         */
        private void loopInvariants() {
            ElementwiseScalarLanes scalar = new ElementwiseScalarLanes(mv, slots, expr.f64());
            ElementwiseFormulas exact = new ElementwiseFormulas(scalar, true, expr.f64());
            Val[] value = new Val[expr.nodes().size()];
            BitSet usedInLoop = new BitSet();
            for (int o : expr.outputs()) usedInLoop.set(o);
            for (int id = live.nextSetBit(0); id >= 0; id = live.nextSetBit(id + 1)) {
                if (!uniform.get(id)) for (int op : expr.nodes().get(id).operands()) usedInLoop.set(op);
            }
            for (int id = live.nextSetBit(0); id >= 0; id = live.nextSetBit(id + 1)) {
                if (!uniform.get(id)) continue;
                ExprNode n = expr.nodes().get(id);
                if (n instanceof ExprNode.Input in) {
                    mv.visitVarInsn(ALOAD, IN);
                    scalar.push(in.index());
                    mv.visitInsn(AALOAD);
                    mv.visitVarInsn(ALOAD, IN_OFF);
                    scalar.push(in.index());
                    mv.visitInsn(IALOAD);
                    if (expr.f64()) {
                        mv.visitInsn(DALOAD);
                        value[id] = new Val(slots.take(2), ElementwiseLanes.Type.DOUBLE);
                        mv.visitVarInsn(DSTORE, value[id].slot());
                    } else {
                        mv.visitInsn(FALOAD);
                        value[id] = new Val(slots.take(1), ElementwiseLanes.Type.FLOAT);
                        mv.visitVarInsn(FSTORE, value[id].slot());
                    }
                } else {
                    value[id] = eval(n, value, exact);
                }
            }
            for (int id = usedInLoop.nextSetBit(0); id >= 0; id = usedInLoop.nextSetBit(id + 1)) {
                if (uniform.get(id)) invariant[id] = lanes.broadcast(value[id]);
            }
        }

        private static Val eval(ExprNode n, Val[] v, ElementwiseFormulas f) {
            return switch (n) {
                case ExprNode.Const c -> f.constant(c.value());
                case ExprNode.Unary u -> f.unary(u.fn(), v[u.x()]);
                case ExprNode.Binary b -> f.binary(b.fn(), v[b.a()], v[b.b()]);
                case ExprNode.Select s -> f.select(v[s.cond()], v[s.a()], v[s.b()]);
                case ExprNode.LeakyRelu l -> f.leakyRelu(l.alpha(), v[l.x()]);
                case ExprNode.LeakyReluGrad l -> f.leakyReluGrad(l.alpha(), v[l.gradients()], v[l.features()]);
                case ExprNode.Input in -> throw new IllegalStateException("inputs are loaded, not evaluated");
            };
        }

        /** One element (or vector) of every output: loads, formulas, stores. */
        private void body(int fullIdx, int rowIdx, Val mask) {
            lanes.beginBody();
            Val[] v = invariant.clone();
            for (int id = live.nextSetBit(0); id >= 0; id = live.nextSetBit(id + 1)) {
                if (uniform.get(id)) continue;
                ExprNode n = expr.nodes().get(id);
                if (n instanceof ExprNode.Input in) {
                    int k = in.index();
                    boolean row = expr.inputs().get(k) == InputKind.ROW;
                    int index = gathered != null && gathered[k] ? gatherIdx : row ? rowIdx : fullIdx;
                    v[id] = lanes.load(inArray[k], zeroOffsets ? -1 : inOff[k], index, mask);
                } else {
                    v[id] = eval(n, v, formulas);
                }
            }
            for (int j = 0; j < outArray.length; j++) {
                lanes.store(v[expr.outputs().get(j)], outArray[j], zeroOffsets ? -1 : outOff[j], gathered != null ? gatherIdx : fullIdx, mask);
            }
        }

        private boolean vector() { return style.usesVectorApi(); }

        /** {@code for (i = 0; i < bound; i += step) body}, in javac's shape (test at the bottom). */
        private void countedLoop(int i, int bound, Runnable body) {
            Label top = new Label(), test = new Label();
            mv.visitInsn(ICONST_0);
            mv.visitVarInsn(ISTORE, i);
            mv.visitJumpInsn(GOTO, test);
            mv.visitLabel(top);
            body.run();
            if (vector()) {
                mv.visitVarInsn(ILOAD, i);
                lanes.pushStep();
                mv.visitInsn(IADD);
                mv.visitVarInsn(ISTORE, i);
            } else {
                mv.visitIincInsn(i, 1);
            }
            mv.visitLabel(test);
            mv.visitVarInsn(ILOAD, i);
            mv.visitVarInsn(ILOAD, bound);
            mv.visitJumpInsn(IF_ICMPLT, top);
        }

        /** The vector loop's bound: {@code F.loopBound(n)} in a local; the scalar loop runs to n itself. */
        private int mainBound(int n) {
            if (!vector()) return n;
            int ub = slots.take(1);
            ((ElementwiseVectorLanes) lanes).pushLoopBound(n);
            mv.visitVarInsn(ISTORE, ub);
            return ub;
        }

        /**
         * The masked last vector: {@code if (i < n) method(in, inOff, out, outOff, i, n, index, last)}, whose body
         * is {@code body(indexInRange(i, n))}; {@code fullIndex} and {@code last} emit their locals after the test
         * (so a row's indices are computed only when the tail runs); a {@code last} of -1 passes -1.
         */
        private void maskedTail(int i, int n, IntSupplier fullIndex, IntSupplier last, String method) {
            if (!vector()) return;
            Label done = new Label();
            mv.visitVarInsn(ILOAD, i);
            mv.visitVarInsn(ILOAD, n);
            mv.visitJumpInsn(IF_ICMPGE, done);
            int idx = fullIndex.getAsInt(), lastSlot = last.getAsInt();
            mv.visitVarInsn(ALOAD, 0);
            for (int arg : new int[] {IN, IN_OFF, OUT, OUT_OFF}) mv.visitVarInsn(ALOAD, arg);
            mv.visitVarInsn(ILOAD, i);
            mv.visitVarInsn(ILOAD, n);
            mv.visitVarInsn(ILOAD, idx);
            if (lastSlot >= 0) mv.visitVarInsn(ILOAD, lastSlot); else mv.visitInsn(ICONST_M1);
            mv.visitMethodInsn(INVOKEVIRTUAL, NAME, method, TAIL_DESC, false);
            mv.visitLabel(done);
        }

        private void flatLoop() {
            int i = slots.take(1), ub = mainBound(LENGTH);
            countedLoop(i, ub, () -> body(i, -1, null));
            maskedTail(i, LENGTH, () -> i, () -> -1, "tail");
        }

        /** Rows × columns: element index = base + j, the ROW operand's index = j. */
        private void rowsTimesColumns() {
            int base = slots.take(1), j = slots.take(1), ub = mainBound(ROW_LENGTH);
            Label top = new Label(), test = new Label();
            mv.visitInsn(ICONST_0);
            mv.visitVarInsn(ISTORE, base);
            mv.visitJumpInsn(GOTO, test);
            mv.visitLabel(top);
            countedLoop(j, ub, () -> body(elementIndex(base, j), j, null));
            maskedTail(j, ROW_LENGTH, () -> elementIndex(base, j), () -> j, "tail");
            mv.visitVarInsn(ILOAD, base);
            mv.visitVarInsn(ILOAD, ROW_LENGTH);
            mv.visitInsn(IADD);
            mv.visitVarInsn(ISTORE, base);
            mv.visitLabel(test);
            mv.visitVarInsn(ILOAD, base);
            mv.visitVarInsn(ILOAD, LENGTH);
            mv.visitJumpInsn(IF_ICMPLT, top);
        }

        /**
         * {@code for (p = from; p < to; p++) if (mask[p] != 0) { g = idx[p]·width; f = p·width; the row's columns }}: a
         * column j reads gathered inputs at g + j, other FULL inputs at f + j, ROW inputs at j, and stores every
         * output at g + j. {@code runRows} computes each row's whole vectors, then (vector styles, when the width
         * is not a multiple of the vector length) calls {@code rowsTails} once, which computes every row's
         * masked last vector: its loop invariants are computed once, not per row, and each method stays small
         * enough for C1. The caller has checked the listed indices.
         */
        private void listedRows(boolean tails) {
            int p = slots.take(1), g = slots.take(1), f = slots.take(1), j = slots.take(1), ub = mainBound(ROWS_WIDTH);
            Val tailMask = tails ? ((ElementwiseVectorLanes) lanes).tailMask(ub, ROWS_WIDTH) : null;
            Label top = new Label(), test = new Label(), next = new Label();
            mv.visitVarInsn(ILOAD, ROWS_FROM);
            mv.visitVarInsn(ISTORE, p);
            mv.visitJumpInsn(GOTO, test);
            mv.visitLabel(top);
            mv.visitVarInsn(ALOAD, ROWS_MASK);
            mv.visitVarInsn(ILOAD, p);
            mv.visitInsn(FALOAD);
            mv.visitInsn(FCONST_0);
            mv.visitInsn(FCMPL);
            mv.visitJumpInsn(IFEQ, next);
            mv.visitVarInsn(ALOAD, ROWS_IDX);
            mv.visitVarInsn(ILOAD, p);
            mv.visitInsn(IALOAD);
            mv.visitVarInsn(ILOAD, ROWS_WIDTH);
            mv.visitInsn(IMUL);
            mv.visitVarInsn(ISTORE, g);
            mv.visitVarInsn(ILOAD, p);
            mv.visitVarInsn(ILOAD, ROWS_WIDTH);
            mv.visitInsn(IMUL);
            mv.visitVarInsn(ISTORE, f);
            if (tails) {
                gatherIdx = elementIndex(g, ub);
                body(elementIndex(f, ub), ub, tailMask);
            } else {
                countedLoop(j, ub, () -> {
                    gatherIdx = elementIndex(g, j);
                    body(elementIndex(f, j), j, null);
                });
            }
            mv.visitLabel(next);
            mv.visitIincInsn(p, 1);
            mv.visitLabel(test);
            mv.visitVarInsn(ILOAD, p);
            mv.visitVarInsn(ILOAD, ROWS_TO);
            mv.visitJumpInsn(IF_ICMPLT, top);
            if (!tails && vector()) {
                Label done = new Label();
                mv.visitVarInsn(ILOAD, ub);
                mv.visitVarInsn(ILOAD, ROWS_WIDTH);
                mv.visitJumpInsn(IF_ICMPGE, done);
                mv.visitVarInsn(ALOAD, 0);
                for (int arg = 1; arg <= ROWS_WIDTH; arg++) mv.visitVarInsn(arg <= ROWS_MASK ? ALOAD : ILOAD, arg);
                mv.visitMethodInsn(INVOKEVIRTUAL, NAME, "rowsTails", ROWS_DESC, false);
                mv.visitLabel(done);
            }
        }

        private int elementIndex(int base, int j) {
            int idx = slots.take(1);
            mv.visitVarInsn(ILOAD, base);
            mv.visitVarInsn(ILOAD, j);
            mv.visitInsn(IADD);
            mv.visitVarInsn(ISTORE, idx);
            return idx;
        }
    }
}
