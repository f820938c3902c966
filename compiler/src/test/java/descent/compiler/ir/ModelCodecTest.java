package descent.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.compiler.Compiler;
import descent.compiler.diag.Span;
import descent.runtime.DType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every kind of op survives encoding; damaged or foreign bytes are refused. (The corpus is ModelCodecCorpusTest's.) */
class ModelCodecTest {
    private static final String MODEL = """
            model tiny
            input x: f32[batch, 3]
            var w: f32[3, 1] = glorot_uniform(seed=1)
            loss = reduce_mean(square(x @ w))
            output loss
            train step { AdamOptimizer(0.01).minimize(loss) }
            """;

    /** Each permitted op record, with made-up field values, as one node of an otherwise tiny model. */
    @Test
    void everyKindOfOpRoundTrips() throws Exception {
        Model tiny = Compiler.check("tiny.descent", MODEL);
        for (Class<?> kind : Op.class.getPermittedSubclasses()) {
            Op op = sample(kind);
            List<Node> nodes = new ArrayList<>(tiny.graph().nodes());
            nodes.add(new Node(nodes.size(), op, List.of(0, 1), new TensorType(DType.F32, Shape.of(2, 3)), "made", new Span(3, 4, 5)));
            Model m = new Model(tiny.name(), new Graph(nodes), tiny.inputs(), tiny.variables(), tiny.outputs(), tiny.names(), tiny.trains());
            Model back = ModelCodec.decode(ModelCodec.encode(m));
            assertEquals(m.graph(), back.graph(), kind.getSimpleName());
        }
    }

    /** A record of {@code kind} with a made-up value for each component (a test's use of reflection). */
    private static Op sample(Class<?> kind) throws Exception {
        RecordComponent[] parts = kind.getRecordComponents();
        Object[] values = new Object[parts.length];
        Class<?>[] types = new Class<?>[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Class<?> t = parts[i].getType();
            types[i] = t;
            values[i] = t == String.class ? "name" + i : t == int.class ? (Object) (3 + i) : t == long.class ? (Object) (77L + i)
                    : t == double.class ? (Object) (0.25 + i) : t == boolean.class ? (Object) (i % 2 == 0) : t == List.class ? List.of(1, 0, 2)
                    : t.isEnum() ? t.getEnumConstants()[t.getEnumConstants().length - 1] : null;
            if (values[i] == null) throw new AssertionError("no sample for " + t + " in " + kind);
        }
        return (Op) kind.getDeclaredConstructor(types).newInstance(values);
    }

    @Test
    void foreignOrDamagedBytesAreRefused() {
        byte[] good = ModelCodec.encode(Compiler.check("tiny.descent", MODEL));
        assertEquals(Compiler.check("tiny.descent", MODEL).graph(), ModelCodec.decode(good).graph());
        byte[] version = good.clone();
        version[7]++;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelCodec.decode(version)).getMessage().contains("another version"));
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertThrows(IllegalArgumentException.class, () -> ModelCodec.decode(magic));
        for (int cut : new int[] {3, 9, good.length / 2, good.length - 1}) {
            assertThrows(IllegalArgumentException.class, () -> ModelCodec.decode(Arrays.copyOf(good, cut)), "cut at " + cut);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelCodec.decode(longer)).getMessage().contains("damaged"));
        // One changed byte that still decodes to a graph (most did before the checksum) is refused whole.
        for (int at = 8; at < good.length; at += Math.max(1, good.length / 40)) {
            byte[] flipped = good.clone();
            flipped[at] ^= 0x10;
            int where = at;
            assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelCodec.decode(flipped)).getMessage().contains("damaged"),
                    "byte " + where);
        }
    }

    /** 200 random graphs (ops with reuse, every gate mode and aggregation method) come back equal and re-encode alike. */
    @Test
    void randomGraphsRoundTrip() {
        List<String> gates = List.of("GATE_NONE", "GATE_OP", "GATE_GRAPH");
        List<String> aggregations = List.of("ADD_N", "DEFAULT", "EXPERIMENTAL_TREE", "EXPERIMENTAL_ACCUMULATE_N");
        List<String> optimizers = List.of("GradientDescentOptimizer(0.1)", "AdamOptimizer(0.01, use_locking=true)",
                "MomentumOptimizer(0.1, 0.9, use_nesterov=true)", "FtrlOptimizer(0.1, l1_regularization_strength=0.01)");
        for (long seed = 1; seed <= 200; seed++) {
            String text = descent.compiler.schedule.RandomModels.model(seed, gates.get((int) (seed % 3)), aggregations.get((int) (seed / 3 % 4)),
                    optimizers.get((int) (seed % 4)), seed % 5 == 0 ? 17 : 3);
            Model m = Compiler.check("random.descent", text);
            byte[] bytes = ModelCodec.encode(m);
            Model back = ModelCodec.decode(bytes);
            assertEquals(m.graph(), back.graph(), text);
            assertEquals(m.trains(), back.trains(), text);
            assertEquals(IrPrinter.printTraining(m), IrPrinter.printTraining(back), text);
            assertTrue(Arrays.equals(bytes, ModelCodec.encode(back)), text);
        }
    }

    @Test
    void mapsKeepTheirOrder() {
        Model m = Compiler.check("tiny.descent", MODEL);
        Model back = ModelCodec.decode(ModelCodec.encode(m));
        assertEquals(List.copyOf(m.names().keySet()), List.copyOf(back.names().keySet()));
        Map<String, Map<String, String>> slots = back.trains().get(0).slots();
        assertEquals(List.copyOf(m.trains().get(0).slots().get("w").keySet()), List.copyOf(slots.get("w").keySet()));
    }
}
