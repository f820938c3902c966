package descent.compiler.backend;

import descent.compiler.ir.Graph;
import descent.compiler.ir.Op;
import descent.compiler.lower.Kernel;
import descent.runtime.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The slots of a thread's buffer array and how they are sized and shared. Slots 0..nodes-1 hold node values
 * (fed tensors and state arrays are put there by the caller); later ones hold scratch arrays and the array
 * holders kernels take their arguments in, so a call allocates nothing. Nodes whose lifetimes over the kernel
 * sequence do not overlap share one array of their dtype (a greedy interval allocation); an input of a kernel
 * never shares with its output; fetched and written values live to the end of the step.
 */
final class BufferPlan {
    /** What a buffer slot holds: a pooled node array, a scratch array, a holder, or a constant. */
    private static final class Slot {
        DType dtype;           // array slots
        Sz size;               // array slots
        int holder = -1;       // >= 0: a float[holder][] (floatHolder), double[holder][] (doubleHolder) or Object[holder]
        boolean floatHolder, doubleHolder;
        boolean lazy;          // grown by its call
        Double fill;           // constants: filled after allocation
        int pool = -1;         // pooled node buffers
        long extra;            // scratch slots: elements beyond size

        Slot() {}
        Slot(DType dtype, Sz size) { this.dtype = dtype; this.size = size; }
    }

    private final List<Slot> slots = new ArrayList<>();
    /** For node ids: the kernel that defines the node's buffer, and the last kernel that reads it. */
    private final int[] def, last;
    /** Pools: dtype and member sizes. */
    private final List<DType> poolType = new ArrayList<>();
    private final List<List<Sz>> poolSizes = new ArrayList<>();

    /** A plan read back by {@link #read}: what {@link #allocate} and {@link #bytes} need, not the lifetimes it came from. */
    private BufferPlan() {
        def = new int[0];
        last = new int[0];
    }

    /** Writes what {@link #allocate} and {@link #bytes} use: the slots and the pools. */
    void write(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(slots.size());
        for (Slot s : slots) {
            out.writeBoolean(s != null);
            if (s == null) continue;
            out.writeByte(s.dtype == null ? -1 : s.dtype.ordinal());
            out.writeBoolean(s.size != null);
            if (s.size != null) { out.writeLong(s.size.c()); out.writeInt(s.size.p()); }
            out.writeInt(s.holder);
            out.writeBoolean(s.floatHolder);
            out.writeBoolean(s.doubleHolder);
            out.writeBoolean(s.lazy);
            out.writeBoolean(s.fill != null);
            if (s.fill != null) out.writeDouble(s.fill);
            out.writeInt(s.pool);
            out.writeLong(s.extra);
        }
        out.writeInt(poolType.size());
        for (int p = 0; p < poolType.size(); p++) {
            out.writeByte(poolType.get(p).ordinal());
            out.writeInt(poolSizes.get(p).size());
            for (Sz z : poolSizes.get(p)) { out.writeLong(z.c()); out.writeInt(z.p()); }
        }
    }

    /** The plan {@link #write} wrote. */
    static BufferPlan read(java.io.DataInput in) throws java.io.IOException {
        BufferPlan plan = new BufferPlan();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            if (!in.readBoolean()) { plan.slots.add(null); continue; }
            Slot s = new Slot();
            int dtype = in.readByte();
            s.dtype = dtype < 0 ? null : DType.values()[dtype];
            if (in.readBoolean()) s.size = new Sz(in.readLong(), in.readInt());
            s.holder = in.readInt();
            s.floatHolder = in.readBoolean();
            s.doubleHolder = in.readBoolean();
            s.lazy = in.readBoolean();
            if (in.readBoolean()) s.fill = in.readDouble();
            s.pool = in.readInt();
            s.extra = in.readLong();
            plan.slots.add(s);
        }
        int pools = in.readInt();
        for (int p = 0; p < pools; p++) {
            plan.poolType.add(DType.values()[in.readByte()]);
            int members = in.readInt();
            List<Sz> sizes = new ArrayList<>();
            for (int m = 0; m < members; m++) sizes.add(new Sz(in.readLong(), in.readInt()));
            plan.poolSizes.add(sizes);
        }
        return plan;
    }

    BufferPlan(int nodes) {
        def = new int[nodes];
        last = new int[nodes];
        Arrays.fill(def, -1);
        Arrays.fill(last, -1);
        for (int i = 0; i < nodes; i++) slots.add(null);
    }

    int size() { return slots.size(); }

    /** Node {@code id} gets a (pooled) array, first written by kernel {@code kernel}. */
    void node(int id, DType t, Sz size, int kernel) {
        slots.set(id, new Slot(t, size));
        def[id] = kernel;
    }

    /** Node {@code id} is a constant array of its own, filled with {@code value} once allocated. */
    void constant(int id, DType t, Sz size, double value) {
        Slot s = new Slot(t, size);
        s.fill = value;
        slots.set(id, s);
    }

    /** Adds a per-thread scratch array of {@code size} elements; returns its slot. */
    int scratch(DType t, Sz size) {
        return add(new Slot(t, size));
    }

    /** Adds a per-thread scratch array of {@code size + extra} elements, zeroed when allocated; returns its slot. */
    int scratch(DType t, Sz size, long extra) {
        Slot s = new Slot(t, size);
        s.extra = extra;
        return add(s);
    }

    /** Adds a per-thread scratch slot its call allocates (and grows) itself. */
    int lazy() {
        Slot s = new Slot();
        s.lazy = true;
        return add(s);
    }

    /** Adds a holder of {@code n} arrays (a float[][] or an Object[]) for a kernel's arguments. */
    int holder(int n, boolean floats) {
        Slot s = new Slot();
        s.holder = n;
        s.floatHolder = floats;
        return add(s);
    }

    /** Adds a holder of {@code n} double arrays (an f64 kernel's arguments). */
    int doubleHolder(int n) {
        Slot s = new Slot();
        s.holder = n;
        s.doubleHolder = true;
        return add(s);
    }

    private int add(Slot s) {
        slots.add(s);
        return slots.size() - 1;
    }

    /** The node whose array an alias chain ends at. */
    private static int root(int id, int[] aliasOf) {
        while (aliasOf[id] >= 0) id = aliasOf[id];
        return id;
    }

    /**
     * Greedy interval allocation over the kernel sequence: a pool is reused once its occupant's last use is
     * over. {@code time[k]} is kernel k's time: kernels that run at once share one, so none of them reuses an
     * array another of them reads or writes.
     */
    void plan(Graph g, List<Kernel> kernels, List<Integer> fetches, int[] time) {
        int[] aliasOf = new int[g.size()];
        Arrays.fill(aliasOf, -1);
        for (Kernel k : kernels) {
            if (k instanceof Kernel.Alias a && !(g.node(a.node()).op() instanceof Op.Const)) aliasOf[a.node()] = g.node(a.node()).input(0);
        }
        int end = Integer.MAX_VALUE;
        for (int ki = 0; ki < kernels.size(); ki++) {
            // A fused kernel with no results emits no call, so it reads nothing.
            List<Integer> reads = kernels.get(ki) instanceof Kernel.Fused f && f.results().isEmpty()
                    ? List.of() : Kernel.reads(g, kernels.get(ki));
            for (int r : reads) { int x = root(r, aliasOf); last[x] = Math.max(last[x], time[ki]); }
            if (kernels.get(ki) instanceof Kernel.Write w) last[root(w.value(), aliasOf)] = end;
        }
        for (int f : fetches) last[root(f, aliasOf)] = end;
        for (int id = 0; id < def.length; id++) if (def[id] >= 0) def[id] = time[def[id]];
        // node buffers in order of definition
        List<Integer> nodes = new ArrayList<>();
        for (int id = 0; id < g.size(); id++) if (slots.get(id) != null && slots.get(id).fill == null && slots.get(id).holder < 0) nodes.add(id);
        nodes.sort((a, b) -> Integer.compare(def[a], def[b]));
        List<Integer> poolFreeAfter = new ArrayList<>();   // last use of the pool's current occupant
        for (int id : nodes) {
            Slot s = slots.get(id);
            int lastUse = Math.max(last[id], def[id]);
            int best = -1;
            for (int p = 0; p < poolType.size(); p++) {
                if (poolType.get(p) != s.dtype || poolFreeAfter.get(p) >= def[id]) continue;
                if (best < 0 || score(p, s.size) > score(best, s.size)) best = p;
            }
            if (best < 0) {
                best = poolType.size();
                poolType.add(s.dtype);
                poolSizes.add(new ArrayList<>());
                poolFreeAfter.add(0);
            }
            poolSizes.get(best).add(s.size);
            poolFreeAfter.set(best, lastUse);
            s.pool = best;
        }
    }

    /** Prefers a pool whose arrays already fit (same power of b, large enough), then the largest of the same power. */
    private int score(int pool, Sz need) {
        long have = 0;
        boolean samePower = false;
        for (Sz s : poolSizes.get(pool)) if (s.p() == need.p()) { samePower = true; have = Math.max(have, s.c()); }
        if (!samePower) return 0;
        if (have >= need.c()) return (int) Math.max(1, 2_000_000_000L - (have - need.c()) / 1024);
        return (int) Math.max(1, Math.min(1_000_000_000L, have / 1024 + 1));
    }

    /** Bytes of the node buffers a thread allocates at batch size {@code b}: {unpooled, pooled}. */
    long[] bytes(int b) {
        long pooled = 0, unpooled = 0;
        for (int p = 0; p < poolType.size(); p++) {
            long max = 0;
            for (Sz s : poolSizes.get(p)) { max = Math.max(max, s.at(b)); unpooled += (long) s.at(b) * width(poolType.get(p)); }
            pooled += max * width(poolType.get(p));
        }
        return new long[] {unpooled, pooled};
    }

    private static int width(DType t) { return t == DType.I64 || t == DType.F64 ? 8 : 4; }

    /** A thread's buffers for capacity {@code cap}. */
    Object[] allocate(int cap) {
        Object[] out = new Object[slots.size()];
        Object[] pools = new Object[poolType.size()];
        for (int p = 0; p < pools.length; p++) {
            int max = 0;
            for (Sz s : poolSizes.get(p)) max = Math.max(max, s.at(cap));
            pools[p] = newArray(poolType.get(p), max);
        }
        for (int i = 0; i < out.length; i++) {
            Slot s = slots.get(i);
            if (s == null || s.lazy) continue;
            if (s.holder >= 0) out[i] = s.floatHolder ? new float[s.holder][] : s.doubleHolder ? new double[s.holder][] : new Object[s.holder];
            else if (s.pool >= 0) out[i] = pools[s.pool];
            else {
                int n = Math.toIntExact(s.size.atLong(cap) + s.extra);
                Object a = newArray(s.dtype, n);
                if (s.fill != null) fill(a, n, s.fill);
                out[i] = a;
            }
        }
        return out;
    }

    /** Sets the first {@code n} elements of a float, int, long or double array to {@code value}. */
    static void fill(Object a, int n, double value) {
        switch (a) {
            case float[] f -> Arrays.fill(f, 0, n, (float) value);
            case int[] i -> Arrays.fill(i, 0, n, (int) (long) value);
            case long[] l -> Arrays.fill(l, 0, n, (long) value);
            case double[] d -> Arrays.fill(d, 0, n, value);
            default -> { }
        }
    }

    private static Object newArray(DType t, int n) {
        return switch (t) {
            case F32 -> new float[n];
            case I32 -> new int[n];
            case I64 -> new long[n];
            case F64 -> new double[n];
        };
    }
}
