package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import descent.runtime.Npy;
import descent.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without {@code --backend}, run, train and predict use the compiled backend, and fall back to the interpreter,
 * with one line on stderr, for what it cannot run ({@code --precision F64}); an explicit {@code --backend
 * compiled} with it stays a one-line user error. f64 models run compiled, with the interpreter's numbers.
 */
class DefaultBackendTest {
    static final String PRECISION_FALLBACK = "descent: --precision F64 runs on the interpreter (the compiled backend computes in f32)";
    static final String PRECISION_ERROR = "descent: error: --precision F64 needs the interpreter (the compiled backend computes"
            + " in f32); use --backend interpreter";

    static String ex(String file) { return CliTest.ex(file); }

    /** The bytes {@code command} (run, train or predict, writing {@code file}) writes with the extra {@code backend} options. */
    private static byte[] bytesWith(Path file, Function<String[], String[]> command, String... backend) throws IOException {
        Files.deleteIfExists(file);
        CliTest.Result r = TrainCliTest.ok(command.apply(backend));
        assertEquals("", r.err(), "no backend line for an f32 model");
        return Files.readAllBytes(file);
    }

    /**
     * The default writes exactly what {@code --backend compiled} writes, and the interpreter writes other bits (it
     * rounds each op's double result to float; the generated kernels accumulate in float), so the comparison can tell
     * the two backends apart.
     */
    private static void assertDefaultIsCompiled(Path file, Function<String[], String[]> command) throws IOException {
        byte[] byDefault = bytesWith(file, command), compiled = bytesWith(file, command, "--backend", "compiled"),
                interpreted = bytesWith(file, command, "--backend", "interpreter");
        assertFalse(Arrays.equals(compiled, interpreted), "the backends must differ somewhere for this test to mean anything");
        assertArrayEquals(compiled, byDefault, "the default backend must be the compiled one");
    }

    @Test
    void runTrainAndPredictDefaultToTheCompiledBackend(@TempDir Path tmp) throws IOException {
        Path data = TrainCliTest.mlpData(tmp);
        Path ckpt = tmp.resolve("run.safetensors");
        assertDefaultIsCompiled(ckpt, b -> CliTest.args(new String[] {"run", ex("mlp.descent"), "--train", "step", "--steps", "20",
            "--feed", "x=" + data.resolve("x.npy"), "--feed", "labels=" + data.resolve("labels.npy"), "--save", ckpt.toString()}, b));
        Path trained = tmp.resolve("train.safetensors");
        assertDefaultIsCompiled(trained, b -> CliTest.args(new String[] {"train", ex("mlp.descent"), "--data", data.toString(),
            "--train", "step", "--epochs", "5", "--batch-size", "4", "--progress", "none", "--save", trained.toString()}, b));
        Path probs = tmp.resolve("probs.npy");
        assertDefaultIsCompiled(probs, b -> CliTest.args(new String[] {"predict", ex("mlp.descent"), "--restore", trained.toString(),
            "--data", data.toString(), "--out", probs.toString(), "--output", "logits"}, b));
    }

    /** A linear model in f64 (also trained from a model jar by ModelJarTest). */
    static final String LIN64 = """
            model lin64
            input x: f64[batch, 2]
            var w: f64[2, 1] = ones()
            y = x @ w
            loss = reduce_mean(square(y - 1))
            output y, loss
            train step { GradientDescentOptimizer(learning_rate=0.01).minimize(loss) }
            """;

    /** {@link #LIN64}, its data (x.npy, 6 rows) and a checkpoint to predict from. */
    private static Path f64Model(Path tmp) throws IOException {
        Path model = tmp.resolve("f64.descent");
        Files.writeString(model, LIN64);
        Path data = Files.createDirectories(tmp.resolve("f64-data"));
        Npy.write(data.resolve("x.npy"), Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 0.5, -1, 2, 0.25, -3, 1}, 6, 2));
        return model;
    }

    /** Since f64 kernels exist for every op, an f64 model runs compiled, with no line on stderr and the interpreter's bits. */
    @Test
    void anF64ModelRunsCompiledWithTheInterpretersBits(@TempDir Path tmp) throws IOException {
        Path model = f64Model(tmp), data = tmp.resolve("f64-data"), x = data.resolve("x.npy");
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        List<String[]> commands = List.of(
                new String[] {"run", model.toString(), "--steps", "3", "--feed", "x=" + x, "--save", "CKPT"},
                new String[] {"train", model.toString(), "--data", data.toString(), "--epochs", "2", "--batch-size", "4",
                    "--progress", "none", "--save", "CKPT"});
        for (String[] command : commands) {
            for (String[] backend : List.of(new String[0], new String[] {"--backend", "compiled"})) {
                CliTest.Result compiled = TrainCliTest.ok(CliTest.args(replace(command, a), backend));
                assertEquals("", compiled.err(), String.join(" ", command) + " runs compiled, no fallback line");
                CliTest.Result interpreted = TrainCliTest.ok(CliTest.args(replace(command, b), "--backend", "interpreter"));
                TrainCliTest.assertSameState(b, a);
                if (command[0].equals("run")) assertEquals(interpreted.out(), compiled.out()); // train's lines hold timings
            }
        }
        Path out = tmp.resolve("y.npy"), ref = tmp.resolve("ref.npy");
        CliTest.Result predicted = TrainCliTest.ok("predict", model.toString(), "--restore", a.toString(), "--data", data.toString(),
                "--out", out.toString());
        assertEquals("", predicted.err());
        TrainCliTest.ok("predict", model.toString(), "--restore", a.toString(), "--data", data.toString(), "--out", ref.toString(),
                "--backend", "interpreter");
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
    }

    @Test
    void precisionF64RunsOnTheInterpreter(@TempDir Path tmp) throws IOException {
        Path data = TrainCliTest.mlpData(tmp), probs = tmp.resolve("probs.npy");
        String[] mlp = {"run", ex("mlp.descent"), "--train", "step", "--steps", "5", "--feed", "x=" + data.resolve("x.npy"),
            "--feed", "labels=" + data.resolve("labels.npy"), "--fetch", "probs=" + probs};
        String[] run = CliTest.args(mlp, "--precision", "F64");
        CliTest.Result byDefault = TrainCliTest.ok(run);
        assertEquals(PRECISION_FALLBACK + "\n", byDefault.err());
        byte[] f64 = Files.readAllBytes(probs);
        CliTest.Result interpreted = TrainCliTest.ok(CliTest.args(run, "--backend", "interpreter"));
        assertEquals("", interpreted.err());
        assertArrayEquals(Files.readAllBytes(probs), f64);
        // Not what F32 computes on either backend: F64 really ran, on the interpreter.
        TrainCliTest.ok(CliTest.args(mlp, "--backend", "interpreter"));
        assertFalse(Arrays.equals(Files.readAllBytes(probs), f64));
        TrainCliTest.ok(mlp);
        assertFalse(Arrays.equals(Files.readAllBytes(probs), f64));

        Files.delete(probs);
        CliTest.Result r = CliTest.descent(CliTest.args(run, "--backend", "compiled"));
        assertEquals(1, r.code(), r.err());
        assertEquals(PRECISION_ERROR + "\n", r.err());
        assertFalse(Files.exists(probs));
    }

    /**
     * Integer values where the compiled backend has f32 and f64 kernels only (the mean of an i32 input, rows gathered
     * from an i32 tensor): by default the model runs on the interpreter after one line naming the first such op,
     * with TF's values (the mean truncated toward zero); asked for the compiled backend, one error line and exit 1
     * (it used to fail with an internal error, or a ClassCastException for the gather).
     */
    @Test
    void integerReductionsAndGathersFallBackToTheInterpreter(@TempDir Path tmp) throws IOException {
        Path model = tmp.resolve("ints.descent");
        Files.writeString(model, """
                model ints
                input n: i32[batch]
                input t: i32[4, 2]
                input ids: i32[batch]
                mean = reduce_mean(n)
                rows = gather(t, ids)
                output mean, rows
                """);
        Path n = tmp.resolve("n.npy"), t = tmp.resolve("t.npy"), ids = tmp.resolve("ids.npy");
        descent.runtime.Npy.write(n, Tensor.of(new int[] {-7, 0, 2}, 3));
        descent.runtime.Npy.write(t, Tensor.of(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 4, 2));
        descent.runtime.Npy.write(ids, Tensor.of(new int[] {3, 0, 3}, 3));
        String[] run = {"run", model.toString(), "--feed", "n=" + n, "--feed", "t=" + t, "--feed", "ids=" + ids};
        CliTest.Result r = TrainCliTest.ok(run);
        assertEquals("descent: the compiled backend does not support reduce_mean of i32 values yet (`mean`); running on the"
                + " interpreter\n", r.err());
        assertEquals("mean = i32[] [-1]\nrows = i32[3, 2] [6, 7, 0, 1, 6, 7]\n", r.out());
        CliTest.Result compiled = CliTest.descent(CliTest.args(run, "--backend", "compiled"));
        assertEquals(1, compiled.code(), compiled.err());
        assertEquals("descent: error: the compiled backend does not support reduce_mean of i32 values yet (`mean`); use --backend"
                + " interpreter\n", compiled.err());
    }

    /** {@code command} with its "CKPT" argument replaced by {@code ckpt}. */
    private static String[] replace(String[] command, Path ckpt) {
        return Arrays.stream(command).map(s -> s.equals("CKPT") ? ckpt.toString() : s).toArray(String[]::new);
    }
}
