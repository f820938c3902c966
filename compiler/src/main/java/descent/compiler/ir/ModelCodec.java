package descent.compiler.ir;

import descent.compiler.diag.Span;
import descent.runtime.DType;
import descent.runtime.Initializer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checked model as bytes, and back: what a model jar carries so that loading it skips the front end (ANTLR
 * running cold is most of the ~200 ms {@code Compiler.check} takes in a fresh JVM). Decoding gives a model equal
 * to the one encoded, maps and sets in the same iteration order. The format is private to one build of Descent:
 * a jar carries the compiler that wrote it, and {@link #VERSION} guards against anything else.
 */
public final class ModelCodec {
    private ModelCodec() {}

    private static final int MAGIC = 0x44534952;   // "DSIR"
    /** Bumped whenever the IR's records change (2: a CRC-32 of the bytes ends them). */
    private static final int VERSION = 2;

    public static byte[] encode(Model m) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            new Writer(out).model(m);
            out.writeLong(crc(bytes.toByteArray(), bytes.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * A CRC-32 of the first {@code n} bytes: a damaged model jar's IR mostly still decodes to a graph (half of single-byte
     * changes did, in a fuzzing audit) that then fails deep in the compiler; the checksum refuses it whole.
     */
    private static long crc(byte[] bytes, int n) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bytes, 0, n);
        return crc.getValue();
    }

    /** The model {@link #encode} was given; an {@link IllegalArgumentException} when the bytes are not such a model. */
    public static Model decode(byte[] encoded) {
        if (encoded.length >= 16 && java.nio.ByteBuffer.wrap(encoded, 0, 8).getInt(4) == VERSION
                && java.nio.ByteBuffer.wrap(encoded, encoded.length - 8, 8).getLong() != crc(encoded, encoded.length - 8)) {
            throw new IllegalArgumentException("a damaged encoded model (its checksum does not match)");
        }
        if (encoded.length >= 8) encoded = java.util.Arrays.copyOf(encoded, encoded.length - 8);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            if (in.readInt() != MAGIC) throw new IllegalArgumentException("not an encoded Descent model");
            int version = in.readInt();
            if (version != VERSION) throw new IllegalArgumentException("encoded by another version of Descent (format " + version + ", not " + VERSION + ")");
            Model m = new Reader(in).model();
            if (in.read() != -1) throw new IllegalArgumentException("trailing bytes after the encoded model");
            return m;
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            if (e instanceof IllegalArgumentException iae) throw iae;
            throw new IllegalArgumentException("a damaged encoded model (" + e + ")", e);
        }
    }

    private record Writer(DataOutputStream out) {
        void model(Model m) throws IOException {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(m.name());
            out.writeInt(m.graph().size());
            for (Node n : m.graph().nodes()) node(n);
            out.writeInt(m.inputs().size());
            for (Model.InputInfo in : m.inputs()) {
                out.writeUTF(in.name());
                out.writeInt(in.node());
                type(in.type());
                span(in.span());
            }
            out.writeInt(m.variables().size());
            for (Model.VariableInfo v : m.variables()) {
                out.writeUTF(v.name());
                out.writeInt(v.node());
                type(v.type());
                initializer(v.init());
                out.writeBoolean(v.trainable());
                span(v.span());
                out.writeUTF(v.role().name());
                nullable(v.primary());
                nullable(v.slotName());
            }
            names(m.outputs());
            names(m.names());
            out.writeInt(m.trains().size());
            for (TrainStep t : m.trains()) train(t);
        }

        void node(Node n) throws IOException {
            out.writeInt(n.id());
            op(n.op());
            ints(n.inputs());
            type(n.type());
            nullable(n.name());
            span(n.span());
        }

        void op(Op op) throws IOException {
            switch (op) {
                case Op.Input o -> { out.writeUTF("Input"); out.writeUTF(o.name()); }
                case Op.Variable o -> { out.writeUTF("Variable"); out.writeUTF(o.name()); }
                case Op.Const o -> { out.writeUTF("Const"); out.writeDouble(o.value()); }
                case Op.Unary o -> { out.writeUTF("Unary"); out.writeUTF(o.fn().name()); }
                case Op.LeakyRelu o -> { out.writeUTF("LeakyRelu"); out.writeDouble(o.alpha()); }
                case Op.Binary o -> { out.writeUTF("Binary"); out.writeUTF(o.fn().name()); }
                case Op.LeakyReluGrad o -> { out.writeUTF("LeakyReluGrad"); out.writeDouble(o.alpha()); }
                case Op.Select o -> out.writeUTF("Select");
                case Op.MatMul o -> { out.writeUTF("MatMul"); out.writeBoolean(o.transposeA()); out.writeBoolean(o.transposeB()); }
                case Op.Reduce o -> { out.writeUTF("Reduce"); out.writeUTF(o.fn().name()); ints(o.axes()); out.writeBoolean(o.keepDims()); }
                case Op.Reshape o -> out.writeUTF("Reshape");
                case Op.Transpose o -> { out.writeUTF("Transpose"); ints(o.perm()); }
                case Op.Concat o -> { out.writeUTF("Concat"); out.writeInt(o.axis()); }
                case Op.Slice o -> { out.writeUTF("Slice"); ints(o.begin()); }
                case Op.Pad o -> { out.writeUTF("Pad"); ints(o.before()); }
                case Op.Tile o -> { out.writeUTF("Tile"); ints(o.multiples()); }
                case Op.BroadcastTo o -> out.writeUTF("BroadcastTo");
                case Op.SumTo o -> out.writeUTF("SumTo");
                case Op.Softmax o -> out.writeUTF("Softmax");
                case Op.LogSoftmax o -> out.writeUTF("LogSoftmax");
                case Op.SoftmaxXent o -> out.writeUTF("SoftmaxXent");
                case Op.SparseSoftmaxXent o -> out.writeUTF("SparseSoftmaxXent");
                case Op.Gather o -> { out.writeUTF("Gather"); out.writeInt(o.axis()); }
                case Op.ScatterAdd o -> { out.writeUTF("ScatterAdd"); out.writeInt(o.axis()); }
                case Op.DedupSum o -> out.writeUTF("DedupSum");
                case Op.FirstOccurrence o -> out.writeUTF("FirstOccurrence");
                case Op.ScatterUpdate o -> out.writeUTF("ScatterUpdate");
                case Op.ScatterAccumulate o -> out.writeUTF("ScatterAccumulate");
                case Op.RandomNormal o -> { out.writeUTF("RandomNormal"); out.writeLong(o.seed()); out.writeDouble(o.mean()); out.writeDouble(o.stddev()); }
                case Op.OneHot o -> { out.writeUTF("OneHot"); out.writeInt(o.depth()); out.writeDouble(o.onValue()); out.writeDouble(o.offValue()); }
                case Op.DimSize o -> { out.writeUTF("DimSize"); ints(o.axes()); }
                case Op.Cast o -> { out.writeUTF("Cast"); out.writeUTF(o.to().name()); }
                case Op.Identity o -> out.writeUTF("Identity");
                case Op.StopGradient o -> out.writeUTF("StopGradient");
                case Op.AddN o -> { out.writeUTF("AddN"); out.writeUTF(o.method().name()); }
            }
        }

        void train(TrainStep t) throws IOException {
            out.writeUTF(t.name());
            span(t.span());
            out.writeInt(t.lossNode());
            out.writeUTF(t.gate().name());
            out.writeUTF(t.aggregation().name());
            out.writeInt(t.updates().size());
            for (TrainStep.Update u : t.updates()) { out.writeUTF(u.state()); out.writeInt(u.value()); }
            gradients(t.gradients());
            gradients(t.rawGradients());
            out.writeInt(t.groups().size());
            for (TrainStep.GradGroup g : t.groups()) { out.writeInt(g.forwardNode()); ints(g.gradNodes()); }
            out.writeInt(t.slots().size());
            for (var e : t.slots().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().size());
                for (var s : e.getValue().entrySet()) { out.writeUTF(s.getKey()); out.writeUTF(s.getValue()); }
            }
            strings(t.optimizers());
            nullable(t.globalStep());
            names(t.locals());
            out.writeInt(t.firstNode());
            strings(List.copyOf(new java.util.TreeSet<>(t.lockedState())));   // sorted: the same bytes from every JVM
        }

        void gradients(List<TrainStep.GradientEntry> entries) throws IOException {
            out.writeInt(entries.size());
            for (TrainStep.GradientEntry e : entries) {
                out.writeUTF(e.variable());
                switch (e.grad()) {
                    case Grad.Dense d -> { out.writeByte(0); out.writeInt(d.node()); }
                    case Grad.Sliced s -> { out.writeByte(1); out.writeInt(s.values()); out.writeInt(s.indices()); shape(s.denseShape()); }
                    case Grad.None n -> out.writeByte(2);
                }
            }
        }

        void initializer(Initializer init) throws IOException {
            switch (init) {
                case Initializer.Zeros z -> out.writeUTF("Zeros");
                case Initializer.Ones o -> out.writeUTF("Ones");
                case Initializer.Constant c -> {
                    out.writeUTF("Constant");
                    out.writeDouble(c.value());
                    out.writeBoolean(c.values() != null);
                    if (c.values() != null) {
                        out.writeInt(c.values().length);
                        for (double d : c.values()) out.writeDouble(d);
                    }
                }
                case Initializer.RandomUniform r -> { out.writeUTF("RandomUniform"); out.writeDouble(r.minval()); out.writeDouble(r.maxval()); seed(r.seed()); }
                case Initializer.RandomNormal r -> { out.writeUTF("RandomNormal"); out.writeDouble(r.mean()); out.writeDouble(r.stddev()); seed(r.seed()); }
                case Initializer.TruncatedNormal r -> { out.writeUTF("TruncatedNormal"); out.writeDouble(r.mean()); out.writeDouble(r.stddev()); seed(r.seed()); }
                case Initializer.VarianceScaling v -> {
                    out.writeUTF("VarianceScaling");
                    out.writeDouble(v.scale());
                    out.writeUTF(v.mode());
                    out.writeUTF(v.distribution());
                    seed(v.seed());
                }
            }
        }

        void seed(Long seed) throws IOException {
            out.writeBoolean(seed != null);
            if (seed != null) out.writeLong(seed);
        }

        void type(TensorType t) throws IOException {
            out.writeUTF(t.dtype().name());
            shape(t.shape());
        }

        void shape(Shape s) throws IOException {
            out.writeInt(s.dims().size());
            for (Dim d : s.dims()) { out.writeLong(d.size()); nullable(d.symbol()); }
        }

        void span(Span s) throws IOException {
            out.writeInt(s.line());
            out.writeInt(s.column());
            out.writeInt(s.length());
        }

        void names(Map<String, Integer> names) throws IOException {
            out.writeInt(names.size());
            for (var e : names.entrySet()) { out.writeUTF(e.getKey()); out.writeInt(e.getValue()); }
        }

        void ints(List<Integer> ints) throws IOException {
            out.writeInt(ints.size());
            for (int i : ints) out.writeInt(i);
        }

        void strings(List<String> strings) throws IOException {
            out.writeInt(strings.size());
            for (String s : strings) out.writeUTF(s);
        }

        void nullable(String s) throws IOException {
            out.writeBoolean(s != null);
            if (s != null) out.writeUTF(s);
        }
    }

    private record Reader(DataInputStream in) {
        Model model() throws IOException {
            String name = in.readUTF();
            List<Node> nodes = list(this::node);
            List<Model.InputInfo> inputs = list(() -> new Model.InputInfo(in.readUTF(), in.readInt(), type(), span()));
            List<Model.VariableInfo> variables = list(() -> new Model.VariableInfo(in.readUTF(), in.readInt(), type(), initializer(),
                    in.readBoolean(), span(), Model.VariableInfo.Role.valueOf(in.readUTF()), nullable(), nullable()));
            Map<String, Integer> outputs = names(), names = names();
            List<TrainStep> trains = list(this::train);
            return new Model(name, new Graph(nodes), inputs, variables, outputs, names, trains);
        }

        Node node() throws IOException {
            return new Node(in.readInt(), op(), ints(), type(), nullable(), span());
        }

        Op op() throws IOException {
            String tag = in.readUTF();
            return switch (tag) {
                case "Input" -> new Op.Input(in.readUTF());
                case "Variable" -> new Op.Variable(in.readUTF());
                case "Const" -> new Op.Const(in.readDouble());
                case "Unary" -> new Op.Unary(UnaryFn.valueOf(in.readUTF()));
                case "LeakyRelu" -> new Op.LeakyRelu(in.readDouble());
                case "Binary" -> new Op.Binary(BinaryFn.valueOf(in.readUTF()));
                case "LeakyReluGrad" -> new Op.LeakyReluGrad(in.readDouble());
                case "Select" -> new Op.Select();
                case "MatMul" -> new Op.MatMul(in.readBoolean(), in.readBoolean());
                case "Reduce" -> new Op.Reduce(ReduceFn.valueOf(in.readUTF()), ints(), in.readBoolean());
                case "Reshape" -> new Op.Reshape();
                case "Transpose" -> new Op.Transpose(ints());
                case "Concat" -> new Op.Concat(in.readInt());
                case "Slice" -> new Op.Slice(ints());
                case "Pad" -> new Op.Pad(ints());
                case "Tile" -> new Op.Tile(ints());
                case "BroadcastTo" -> new Op.BroadcastTo();
                case "SumTo" -> new Op.SumTo();
                case "Softmax" -> new Op.Softmax();
                case "LogSoftmax" -> new Op.LogSoftmax();
                case "SoftmaxXent" -> new Op.SoftmaxXent();
                case "SparseSoftmaxXent" -> new Op.SparseSoftmaxXent();
                case "Gather" -> new Op.Gather(in.readInt());
                case "ScatterAdd" -> new Op.ScatterAdd(in.readInt());
                case "DedupSum" -> new Op.DedupSum();
                case "FirstOccurrence" -> new Op.FirstOccurrence();
                case "ScatterUpdate" -> new Op.ScatterUpdate();
                case "ScatterAccumulate" -> new Op.ScatterAccumulate();
                case "RandomNormal" -> new Op.RandomNormal(in.readLong(), in.readDouble(), in.readDouble());
                case "OneHot" -> new Op.OneHot(in.readInt(), in.readDouble(), in.readDouble());
                case "DimSize" -> new Op.DimSize(ints());
                case "Cast" -> new Op.Cast(DType.valueOf(in.readUTF()));
                case "Identity" -> new Op.Identity();
                case "StopGradient" -> new Op.StopGradient();
                case "AddN" -> new Op.AddN(Aggregation.valueOf(in.readUTF()));
                default -> throw new IllegalArgumentException("unknown op `" + tag + "`");
            };
        }

        TrainStep train() throws IOException {
            String name = in.readUTF();
            Span span = span();
            int loss = in.readInt();
            TrainStep.GateMode gate = TrainStep.GateMode.valueOf(in.readUTF());
            Aggregation aggregation = Aggregation.valueOf(in.readUTF());
            List<TrainStep.Update> updates = list(() -> new TrainStep.Update(in.readUTF(), in.readInt()));
            List<TrainStep.GradientEntry> gradients = gradients(), raw = gradients();
            List<TrainStep.GradGroup> groups = list(() -> new TrainStep.GradGroup(in.readInt(), ints()));
            Map<String, Map<String, String>> slots = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                String variable = in.readUTF();
                Map<String, String> byName = new LinkedHashMap<>();
                for (int j = in.readInt(); j > 0; j--) byName.put(in.readUTF(), in.readUTF());
                slots.put(variable, byName);
            }
            List<String> optimizers = strings();
            String globalStep = nullable();
            Map<String, Integer> locals = names();
            int firstNode = in.readInt();
            Set<String> locked = new LinkedHashSet<>(strings());
            return new TrainStep(name, span, loss, gate, aggregation, updates, gradients, raw, groups, slots, optimizers,
                    globalStep, locals, firstNode, locked);
        }

        List<TrainStep.GradientEntry> gradients() throws IOException {
            return list(() -> {
                String variable = in.readUTF();
                Grad grad = switch (in.readByte()) {
                    case 0 -> new Grad.Dense(in.readInt());
                    case 1 -> new Grad.Sliced(in.readInt(), in.readInt(), shape());
                    case 2 -> Grad.NONE;
                    default -> throw new IllegalArgumentException("unknown gradient kind");
                };
                return new TrainStep.GradientEntry(variable, grad);
            });
        }

        Initializer initializer() throws IOException {
            String tag = in.readUTF();
            return switch (tag) {
                case "Zeros" -> new Initializer.Zeros();
                case "Ones" -> new Initializer.Ones();
                case "Constant" -> {
                    double value = in.readDouble();
                    double[] values = null;
                    if (in.readBoolean()) {
                        int n = in.readInt();
                        if (n < 0 || n > in.available() / Double.BYTES) throw new IllegalArgumentException("a constant longer than the bytes left");
                        values = new double[n];
                        for (int i = 0; i < values.length; i++) values[i] = in.readDouble();
                    }
                    yield new Initializer.Constant(value, values);
                }
                case "RandomUniform" -> new Initializer.RandomUniform(in.readDouble(), in.readDouble(), seed());
                case "RandomNormal" -> new Initializer.RandomNormal(in.readDouble(), in.readDouble(), seed());
                case "TruncatedNormal" -> new Initializer.TruncatedNormal(in.readDouble(), in.readDouble(), seed());
                case "VarianceScaling" -> new Initializer.VarianceScaling(in.readDouble(), in.readUTF(), in.readUTF(), seed());
                default -> throw new IllegalArgumentException("unknown initializer `" + tag + "`");
            };
        }

        Long seed() throws IOException { return in.readBoolean() ? in.readLong() : null; }

        TensorType type() throws IOException { return new TensorType(DType.valueOf(in.readUTF()), shape()); }

        Shape shape() throws IOException {
            List<Dim> dims = list(() -> new Dim(in.readLong(), nullable()));
            return new Shape(dims);
        }

        Span span() throws IOException { return new Span(in.readInt(), in.readInt(), in.readInt()); }

        Map<String, Integer> names() throws IOException {
            Map<String, Integer> names = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) names.put(in.readUTF(), in.readInt());
            return names;
        }

        List<Integer> ints() throws IOException { return list(in::readInt); }

        List<String> strings() throws IOException { return list(in::readUTF); }

        String nullable() throws IOException { return in.readBoolean() ? in.readUTF() : null; }

        /** What one element reads; may throw IOException. */
        private interface Element<T> { T read() throws IOException; }

        <T> List<T> list(Element<T> element) throws IOException {
            int n = in.readInt();
            if (n < 0 || n > in.available()) throw new IllegalArgumentException("a count of " + n + " with " + in.available() + " bytes left");
            List<T> out = new ArrayList<>(Math.min(n, 1 << 16));
            for (int i = 0; i < n; i++) out.add(element.read());
            return out;
        }
    }
}
