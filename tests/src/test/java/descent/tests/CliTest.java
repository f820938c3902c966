package descent.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.cli.Main;
import descent.runtime.Npy;
import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line contract (DESIGN.md): outputs, files and exit codes, run in-process. */
class CliTest {
    static final Path ROOT = ExampleGoldenTest.ROOT;

    record Result(int code, String out, String err) {}

    static Result descent(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static String ex(String file) { return ROOT.resolve("examples").resolve(file).toString(); }

    static String[] logregFeeds() {
        return new String[] {"--feed", "x=" + ex("data/logreg_x.npy"), "--feed", "y=" + ex("data/logreg_y.npy")};
    }

    static String[] args(String[] head, String... tail) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    @Test
    void checkAcceptsEveryExample() throws Exception {
        for (Path p : ExampleGoldenTest.examples()) {
            Result r = descent("check", p.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains(": ok"), r.out());
        }
    }

    @Test
    void everyExampleEvaluatesOnItsData(@TempDir Path tmp) {
        String[][] runs = {
            args(new String[] {"run", ex("logreg.descent")}, logregFeeds()),
            {"run", ex("mlp.descent"), "--train", "step", "--feed", "x=" + ex("data/mlp_x.npy"), "--feed", "labels=" + ex("data/mlp_labels.npy")},
            {"run", ex("autoencoder.descent"), "--feed", "x=" + ex("data/autoencoder_x.npy")},
            {"run", ex("embedding.descent"), "--feed", "user=" + ex("data/embedding_user.npy"),
                "--feed", "item=" + ex("data/embedding_item.npy"), "--feed", "rating=" + ex("data/embedding_rating.npy")},
        };
        for (String[] run : runs) {
            Result r = descent(run);
            assertEquals(0, r.code(), String.join(" ", run) + "\n" + r.err());
            assertTrue(r.out().contains("loss = f32[] ["), r.out());
        }
        // Logistic regression with zero weights: every probability is 0.5 and the loss is ln 2.
        Result r = descent(args(new String[] {"run", ex("logreg.descent"), "--fetch", "loss=" + tmp.resolve("loss.npy"),
            "--fetch", "prob=" + tmp.resolve("prob.npy")}, logregFeeds()));
        assertEquals(0, r.code(), r.err());
        assertEquals((float) Math.log(2), Npy.read(tmp.resolve("loss.npy")).floats()[0], 1e-7);
        for (float p : Npy.read(tmp.resolve("prob.npy")).floats()) assertEquals(0.5f, p);
    }

    @Test
    void saveThenRestoreRoundTripsEveryVariable(@TempDir Path tmp) {
        Path ckpt = tmp.resolve("mlp.safetensors");
        String[] feeds = {"--steps", "0", "--feed", "x=" + ex("data/mlp_x.npy"), "--feed", "labels=" + ex("data/mlp_labels.npy")};
        Result first = descent(args(new String[] {"run", ex("mlp.descent"), "--seed", "3", "--save", ckpt.toString()}, feeds));
        assertEquals(0, first.code(), first.err());
        Map<String, Tensor> saved = SafeTensors.read(ckpt);
        // Every variable, and the slots and non-slot variables of both train blocks (TF's names).
        assertEquals(List.of("b1", "b1/Adam", "b1/Adam_1", "b1/Momentum", "b2", "b2/Adam", "b2/Adam_1", "b2/Momentum",
                "beta1_power", "beta2_power", "global_step", "w1", "w1/Adam", "w1/Adam_1", "w1/Momentum", "w2", "w2/Adam",
                "w2/Adam_1", "w2/Momentum"), saved.keySet().stream().sorted().toList());
        // A different seed, then restore: the outputs must be those of the saved state.
        Result second = descent(args(new String[] {"run", ex("mlp.descent"), "--seed", "99", "--restore", ckpt.toString()}, feeds));
        assertEquals(first.out(), second.out());
        Result other = descent(args(new String[] {"run", ex("mlp.descent"), "--seed", "99"}, feeds));
        assertEquals(first.out(), other.out(), "w1/w2 have explicit seeds, so --seed does not change them");
    }

    @Test
    void userErrorsAreOneLineAndExitOne(@TempDir Path tmp) throws Exception {
        Path junk = tmp.resolve("junk.npy");
        Files.writeString(junk, "not numpy");
        String[][] bad = {
            {"run", ex("logreg.descent"), "--feed", "x=" + ex("data/mlp_x.npy"), "--feed", "y=" + ex("data/logreg_y.npy")},
            {"run", ex("logreg.descent"), "--feed", "x=" + tmp.resolve("missing.npy")},
            {"run", ex("logreg.descent"), "--feed", "z=" + ex("data/logreg_x.npy")},
            {"run", ex("logreg.descent"), "--feed", "x=" + junk},
            {"run", ex("logreg.descent")},
            {"run", ex("logreg.descent"), "--restore", junk.toString()},
            {"check", tmp.resolve("nope.descent").toString()},
        };
        for (String[] b : bad) {
            Result r = descent(b);
            assertEquals(1, r.code(), String.join(" ", b) + "\n" + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(r.err().startsWith("descent: error: "), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }

    /** The last stage's printer: every generated class of a one-thread session, the same text on every run. */
    @Test
    void emitBytecodePrintsTheGeneratedClasses() {
        Result r = descent("compile", ex("logreg.descent"), "--emit", "bytecode");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("// model logreg: "), r.out().lines().findFirst().orElse(""));
        assertTrue(r.out().contains("implements descent/compiler/emit/Step {"), "a step class");
        assertTrue(r.out().contains("implements descent/compiler/emit/MatmulKernel"), "a matmul kernel");
        assertEquals(r.out(), descent("compile", ex("logreg.descent"), "--emit", "bytecode").out());
    }

    /** run converts a feed to its input's dtype as train converts data: i64 labels (NumPy's default integers) feed an i32 input. */
    @Test
    void integerFeedsAreConvertedAsTrainConvertsData(@TempDir Path tmp) throws Exception {
        Tensor labels = descent.runtime.Npy.read(Path.of(ex("data/mlp_labels.npy")));
        long[] wide = java.util.Arrays.stream(labels.ints()).asLongStream().toArray();
        Path i64 = tmp.resolve("labels64.npy");
        descent.runtime.Npy.write(i64, Tensor.of(wide, labels.shape()));
        String[] common = {"run", ex("mlp.descent"), "--train", "step", "--feed", "x=" + ex("data/mlp_x.npy")};
        Result narrow = descent(args(common, "--feed", "labels=" + ex("data/mlp_labels.npy")));
        Result converted = descent(args(common, "--feed", "labels=" + i64));
        assertEquals(0, converted.code(), converted.err());
        assertEquals(narrow.out(), converted.out());
    }

    /**
     * run refuses a label outside its op's range by file and input, as train refuses data, and an f64 feed beyond the
     * f32 input's range rather than feeding ∞ (an errors audit, 2026-11-29).
     */
    @Test
    void badFeedValuesAreNamedByFileAndInput(@TempDir Path tmp) throws Exception {
        Tensor labels = descent.runtime.Npy.read(Path.of(ex("data/mlp_labels.npy")));
        int[] bad = labels.ints().clone();
        bad[3] = 3;
        Path oob = tmp.resolve("labels.npy"), big = tmp.resolve("x.npy");
        descent.runtime.Npy.write(oob, Tensor.of(bad, labels.shape()));
        Tensor x = descent.runtime.Npy.read(Path.of(ex("data/mlp_x.npy")));
        double[] huge = new double[x.size()];
        java.util.Arrays.fill(huge, 1e300);
        descent.runtime.Npy.write(big, Tensor.of(huge, x.shape()));
        Result r = descent("run", ex("mlp.descent"), "--train", "step", "--feed", "x=" + ex("data/mlp_x.npy"), "--feed", "labels=" + oob);
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(oob + ": row 3 is 3, outside [0, 3): input `labels` indexes the 3 classes of `logits`"), r.err());
        r = descent("run", ex("mlp.descent"), "--train", "step", "--feed", "x=" + big, "--feed", "labels=" + ex("data/mlp_labels.npy"));
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("beyond input `x`'s f32 range"), r.err());
    }

    /** Some Windows editors start a UTF-8 file with a byte order mark; it is not part of the model. */
    @Test
    void aByteOrderMarkIsNotPartOfTheModel(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("bom.descent");
        Files.writeString(model, "\uFEFF" + Files.readString(Path.of(ex("logreg.descent"))));
        Result r = descent("check", model.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void aFailedRunWritesNoFile(@TempDir Path tmp) {
        Path out = tmp.resolve("loss.npy"), ckpt = tmp.resolve("c.safetensors");
        Result r = descent("run", ex("logreg.descent"), "--feed", "x=" + ex("data/logreg_x.npy"),
                "--fetch", "loss=" + out, "--save", ckpt.toString());
        assertEquals(1, r.code());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(ckpt));
        r = descent("run", ex("logreg.descent"), "--fetch", "nosuch=" + out);
        assertEquals(1, r.code());
        assertFalse(Files.exists(out));
        // A --save that cannot be written is found before the run, so the fetch is not written either.
        r = descent("run", ex("logreg.descent"), "--feed", "x=" + ex("data/logreg_x.npy"), "--feed", "y=" + ex("data/logreg_y.npy"),
                "--fetch", "loss=" + out, "--save", tmp.resolve("no/dir/c.safetensors").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot write " + tmp.resolve("no/dir/c.safetensors")), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void diagnosticsGoToStderrWithExitOne(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("bad.descent");
        Files.writeString(bad, "model bad\ninput x: f32[2, 3]\ny = relu(x) @ x\n");
        Result r = descent("check", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.descent:3:"), r.err());
        assertTrue(r.err().contains("matmul inner dimensions differ"), r.err());
        assertTrue(r.err().contains("^"), r.err());
    }

    /**
     * Training through the command line: the loss falls, and N steps in one run equal N runs of one step chained by
     * checkpoints, on the default (compiled) backend and on the interpreter.
     */
    @Test
    void trainingRunsAndResumesExactly(@TempDir Path tmp) {
        for (String[] backend : List.of(new String[0], new String[] {"--backend", "interpreter"})) {
            String[] feeds = args(logregFeeds(), backend);
            Path a = tmp.resolve("a.safetensors");
            Result three = descent(args(new String[] {"run", ex("logreg.descent"), "--steps", "3", "--save", a.toString(),
                "--fetch", "loss=" + tmp.resolve("l3.npy")}, feeds));
            assertEquals(0, three.code(), three.err());
            Path prev = null;
            for (int i = 0; i < 3; i++) {
                Path next = tmp.resolve("step" + i + ".safetensors");
                List<String> cmd = new ArrayList<>(List.of("run", ex("logreg.descent"), "--save", next.toString()));
                if (prev != null) { cmd.add("--restore"); cmd.add(prev.toString()); }
                cmd.addAll(List.of(feeds));
                Result r = descent(cmd.toArray(String[]::new));
                assertEquals(0, r.code(), r.err());
                prev = next;
            }
            Map<String, Tensor> together = SafeTensors.read(a), chained = SafeTensors.read(prev);
            assertEquals(together.keySet(), chained.keySet());
            for (String k : together.keySet()) assertEquals(together.get(k), chained.get(k), k + " " + List.of(backend));
            assertEquals(3L, together.get("global_step").longs()[0]);
            float first = (float) Math.log(2);
            assertTrue(Npy.read(tmp.resolve("l3.npy")).floats()[0] < first, "the loss of the third step is below ln 2");
        }
    }

    @Test
    void severalTrainBlocksNeedAChoice() {
        Result r = descent("run", ex("mlp.descent"), "--feed", "x=" + ex("data/mlp_x.npy"), "--feed", "labels=" + ex("data/mlp_labels.npy"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--train"), r.err());
        assertEquals(1, descent("run", ex("mlp.descent"), "--train", "nosuch").code());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, descent("frobnicate").code());
        assertEquals(2, descent("run").code());
        assertEquals(2, descent("compile", ex("logreg.descent"), "--emit", "nonsense").code());
        // NAME=FILE arguments: malformed, empty or repeated ones are named (a repeated --feed silently took the last).
        for (String[] bad : new String[][] {{"x=", "--feed x= names no file after `=`"}, {"x", "--feed takes NAME=FILE.npy, not `x`"}}) {
            Result r = descent("run", ex("logreg.descent"), "--feed", bad[0]);
            assertEquals(2, r.code());
            assertTrue(r.err().startsWith("descent: " + bad[1] + "\n"), r.err());
        }
        Result twice = descent("run", ex("logreg.descent"), "--feed", "x=" + ex("data/logreg_x.npy"), "--feed", "x=" + ex("data/logreg_x.npy"));
        assertEquals(2, twice.code());
        assertTrue(twice.err().startsWith("descent: --feed x is given twice"), twice.err());
        // Bad option values are usage errors in every command.
        assertEquals(2, descent("run", ex("logreg.descent"), "--steps", "-1").code());
        assertEquals(2, descent("compile", ex("logreg.descent"), "-o", "m.jar", "--threads", "0").code());
        assertEquals(2, descent("compile", ex("logreg.descent"), "--emit", "ir", "--threads", "1").code());
        Result unknown = descent("bogus");
        assertEquals("descent: unknown command `bogus` (commands: check, run, compile, inspect, train, predict)\n"
                + "Try 'descent --help' for more information.\n", unknown.err());
        // --version works after any command too.
        Result version = descent("run", "--version");
        assertEquals(0, version.code());
        assertEquals("descent 0.1.0", version.out().strip());
    }

    @Test
    void emitPrintsEachStage() {
        for (String stage : List.of("ast", "ir", "grad", "plan")) {
            Result r = descent("compile", ex("logreg.descent"), "--emit", stage);
            assertEquals(0, r.code(), r.err());
            assertFalse(r.out().isBlank());
        }
        assertTrue(descent("compile", ex("logreg.descent"), "--emit", "grad").out().contains("gradient w = %"));
        assertTrue(descent("compile", ex("logreg.descent"), "--emit", "plan").out().contains("write global_step <- %"));
    }

    @Test
    void inspectShowsTheSignature() {
        Result r = descent("inspect", ex("mlp.descent"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("w1") && r.out().contains("256 bytes"), r.out());
        assertTrue(r.out().contains("slot \"m\" of w1") && r.out().contains("FLOPs") && r.out().contains("GATE_GRAPH"), r.out());
    }
}
