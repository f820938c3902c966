package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.runtime.Npy;
import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to {@code descent train}: one clear line, exit 1, no partial file, the last good checkpoint intact. */
class TrainErrorsTest {
    static String ex(String file) { return CliTest.ex(file); }

    /** Runs a failing command; checks the one-line error and that nothing was written; returns the message. */
    static String fails(Path tmp, String expected, String... args) throws IOException {
        List<Path> before = list(tmp);
        CliTest.Result r = CliTest.descent(args);
        assertEquals(1, r.code(), String.join(" ", args) + "\n" + r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("descent: error: "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertTrue(r.err().contains(expected), "expected «" + expected + "» in: " + r.err());
        assertEquals(before, list(tmp), "no file written or removed");
        return r.err().strip();
    }

    static List<Path> list(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.sorted().toList();
        }
    }

    static String[] mlpTrain(Path data, String... more) {
        return CliTest.args(new String[] {"train", ex("mlp.descent"), "--train", "step", "--data", data.toString()}, more);
    }

    @Test
    void malformedCsvIsNamedByFileAndLine(@TempDir Path tmp) throws IOException {
        String[][] cases = {
            {"a,b,labels\n0.1,0.2,1\n0.3,0.4\n", "bad.csv:3: 2 fields, but the header has 3"},
            {"a,b,labels\n0.1,zero,1\n", "bad.csv:2: column `b`: `zero` is not a number"},
            {"a,b,labels\n0.1,0.2,1.5\n", "bad.csv:2: column `labels`: `1.5` is not an integer (input `labels` is i32)"},
            {"a,b,labels\n0.1,,1\n", "bad.csv:2: column `b` is empty"},
            {"a,b,labels\n\"0.1,0.2,1\n", "bad.csv:2: malformed CSV: a quoted field is not closed"},
            {"a,a,labels\n0.1,0.2,1\n", "bad.csv:1: the header names column `a` twice"},
            {"", "bad.csv: the CSV file is empty"},
            {"a,b,labels\n0.1,0.2,99999999999\n", "bad.csv:2: column `labels`: 99999999999 does not fit i32"},
        };
        for (String[] c : cases) {
            Path data = tmp.resolve("in").resolve("bad.csv");
            Files.createDirectories(data.getParent());
            Files.writeString(data, c[0]);
            fails(tmp, c[1], mlpTrain(data, "--save", tmp.resolve("c.safetensors").toString()));
        }
    }

    @Test
    void columnsAndShapesThatDoNotFitTheModel(@TempDir Path tmp) throws IOException {
        Path csv = tmp.resolve("d.csv");
        Files.writeString(csv, "a,b,c,labels\n1,2,3,0\n");
        fails(tmp, "input `x` (f32[batch, 2]) takes the columns not named after another input, but there are 3 of them (a, b, c), not 2",
                mlpTrain(csv));
        Files.writeString(csv, "x_0,x_1,extra,labels\n1,2,3,0\n");
        fails(tmp, "column `extra` feeds no input of model mlp (inputs: x f32[batch, 2], labels i32[batch])", mlpTrain(csv));
        Files.writeString(csv, "a,b\n1,2\n");
        fails(tmp, "no column for input `labels` (i32[batch]): the header needs a column named labels", mlpTrain(csv));
        Files.writeString(csv, "x_0,x_1,x_2,labels\n1,2,3,0\n");
        fails(tmp, "input `x` (f32[batch, 2]) takes 2 columns x_0..x_1, but the header has x_0..x_2", mlpTrain(csv));

        Path dir = Files.createDirectories(tmp.resolve("npy"));
        Npy.write(dir.resolve("x.npy"), Tensor.of(new float[12 * 3], 12, 3));
        Files.copy(Path.of(ex("data/mlp_labels.npy")), dir.resolve("labels.npy"));
        fails(tmp, "x.npy: shape [12, 3] does not fit input `x` (f32[batch, 2]): dimension 1 is 3, expected 2", mlpTrain(dir));
        Npy.write(dir.resolve("x.npy"), Tensor.of(new float[10 * 2], 10, 2));
        fails(tmp, "has 12 rows but", mlpTrain(dir));
        Npy.write(dir.resolve("x.npy"), Tensor.of(new float[12 * 2], 12, 2));
        Npy.write(dir.resolve("labels.npy"), Tensor.of(new float[12], 12));
        fails(tmp, "labels.npy: holds f32 values but input `labels` is i32", mlpTrain(dir));
    }

    @Test
    void missingAndMalformedFiles(@TempDir Path tmp) throws IOException {
        fails(tmp, "nowhere: no such file or directory", mlpTrain(tmp.resolve("nowhere")));
        Path dir = Files.createDirectories(tmp.resolve("npy"));
        Files.copy(Path.of(ex("data/mlp_x.npy")), dir.resolve("x.npy"));
        fails(tmp, "no labels.npy for input `labels` (i32[batch])", mlpTrain(dir));
        Files.writeString(dir.resolve("labels.npy"), "not numpy at all");
        fails(tmp, "labels.npy: not a NumPy .npy file", mlpTrain(dir));
        byte[] good = Files.readAllBytes(Path.of(ex("data/mlp_labels.npy")));
        Files.write(dir.resolve("labels.npy"), java.util.Arrays.copyOf(good, good.length - 5));
        fails(tmp, "labels.npy: ", mlpTrain(dir));
        Files.copy(Path.of(ex("data/mlp_labels.npy")), dir.resolve("labels.npy"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path notData = tmp.resolve("data.txt");
        Files.writeString(notData, "1,2,3\n");
        fails(tmp, "--data must be a directory of NAME.npy files, a .npy file or a .csv file", mlpTrain(notData));
        fails(tmp, "junk.safetensors", mlpTrain(dir, "--restore", Files.writeString(tmp.resolve("junk.safetensors"), "junk").toString()));
        fails(tmp, "cannot write " + tmp.resolve("no/such/dir/c.safetensors") + ": directory " + tmp.resolve("no/such/dir")
                + " does not exist", mlpTrain(dir, "--save", tmp.resolve("no/such/dir/c.safetensors").toString()));
        fails(tmp, "cannot write " + dir + ": it is a directory", mlpTrain(dir, "--save", dir.toString()));
    }

    /** A label or id out of range is found when the data is loaded, by file and row, not steps later by batch position. */
    @Test
    void labelsAndIdsOutOfRangeAreNamedByRow(@TempDir Path tmp) throws IOException {
        Path csv = tmp.resolve("bad.csv");
        Files.writeString(csv, "x_0,x_1,labels\n0.1,0.2,1\n0.3,0.4,7\n");
        fails(tmp, "bad.csv:3: column `labels` is 7, outside [0, 3): input `labels` indexes the 3 classes of `logits`",
                mlpTrain(csv));
        Path dir = Files.createDirectories(tmp.resolve("emb"));
        for (String input : List.of("user", "rating")) {
            Files.copy(Path.of(ex("data/embedding/" + input + ".npy")), dir.resolve(input + ".npy"));
        }
        Tensor items = Npy.read(Path.of(ex("data/embedding/item.npy")));
        int[] ids = items.ints().clone();
        ids[3] = -1;
        Npy.write(dir.resolve("item.npy"), Tensor.of(ids, items.shape()));
        fails(tmp, "item.npy: row 3 is -1, outside [0, 40): input `item` indexes the 40 rows of `item_emb`",
                "train", ex("embedding.descent"), "--data", dir.toString());
        // Only ops the step computes bound the data: this step reads ids through one_hot, not through the gather.
        Path model = Files.writeString(tmp.resolve("g.descent"), """
                model g
                input ids: i32[batch]
                var emb: f32[10, 4] = zeros()
                var w: f32[20] = zeros()
                e = gather(emb, ids)
                loss = reduce_sum(one_hot(ids, 20) * w)
                output e, loss
                train step { GradientDescentOptimizer(0.1).minimize(loss) }
                """);
        Path gd = Files.createDirectories(tmp.resolve("gd"));
        Npy.write(gd.resolve("ids.npy"), Tensor.of(new int[] {1, 12, 15, 3}, 4));
        TrainCliTest.ok("train", model.toString(), "--data", gd.toString());
    }

    /** TF's Saver.restore refuses a checkpoint without the model's variables; so does train, before it writes anything. */
    @Test
    void aCheckpointMustHoldTheModelAndNotBeAhead(@TempDir Path tmp) throws IOException {
        Path dir = TrainCliTest.mlpData(tmp), ckpt = tmp.resolve("c.safetensors");
        TrainCliTest.ok(mlpTrain(dir, "--epochs", "2", "--batch-size", "4", "--save", ckpt.toString()));
        Path other = tmp.resolve("other.safetensors");
        SafeTensors.write(other, java.util.Map.of("w1", SafeTensors.read(ckpt).get("w1")));
        fails(tmp, other + " lacks the model's variables b1, w2, b2, global_step (was it saved from another model?)",
                mlpTrain(dir, "--restore", other.toString()));
        fails(tmp, ckpt + " has done 6 steps (2 epochs and 0 batches); --epochs 1 ends at step 3: give more epochs to continue it",
                mlpTrain(dir, "--restore", ckpt.toString(), "--epochs", "1"));
        Path copy = tmp.resolve("copy.safetensors");
        CliTest.Result done = TrainCliTest.ok(mlpTrain(dir, "--restore", ckpt.toString(), "--save", copy.toString()));
        assertTrue(done.out().contains(ckpt + " has already done all 6 steps of 2 epochs; nothing to train"), done.out());
        assertFalse(done.out().contains("resuming"), done.out());
        assertArrayEquals(Files.readAllBytes(ckpt), Files.readAllBytes(copy), "--save still gets the run's state");
        Files.delete(copy);

        // Variables without slots: fine-tuning with another optimizer starts its slots afresh, and says so.
        java.util.Map<String, Tensor> variables = new java.util.LinkedHashMap<>(SafeTensors.read(ckpt));
        variables.keySet().removeIf(name -> name.contains("/"));
        Path weights = tmp.resolve("weights.safetensors");
        SafeTensors.write(weights, variables);
        CliTest.Result tuned = TrainCliTest.ok(mlpTrain(dir, "--restore", weights.toString()));
        assertTrue(tuned.err().contains("descent: warning: " + weights + " has no b1/Momentum, b2/Momentum, w1/Momentum,"
                + " w2/Momentum: they start from their initial values"), tuned.err());
    }

    @Test
    void usageErrorsExitTwo(@TempDir Path tmp) throws IOException {
        Path data = TrainCliTest.mlpData(tmp);
        String[][] bad = {
            mlpTrain(data, "--every", "2"),
            mlpTrain(data, "--validation", "1.5"),
            mlpTrain(data, "--on-nonfinite", "ignore"),
            mlpTrain(data, "--batch-size", "0"),
            {"train", ex("mlp.descent")},
        };
        for (String[] b : bad) {
            CliTest.Result r = CliTest.descent(b);
            assertEquals(2, r.code(), String.join(" ", b) + "\n" + r.err());
            assertTrue(r.err().startsWith("descent: "), r.err());
        }
        CliTest.Result r = CliTest.descent("train", ex("mlp.descent"), "--data", data.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("has train blocks step, quick: choose one with --train NAME"), r.err());
    }

    @Test
    void nonFiniteDataFailsWithItsRowOrIsSkipped(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("npy"));
        float[] x = Npy.read(Path.of(ex("data/mlp_x.npy"))).floats().clone();
        x[5 * 2 + 1] = Float.NaN;
        Npy.write(dir.resolve("x.npy"), Tensor.of(x, 12, 2));
        Files.copy(Path.of(ex("data/mlp_labels.npy")), dir.resolve("labels.npy"));
        Path ckpt = tmp.resolve("c.safetensors");
        fails(tmp, "x.npy: row 5 holds NaN (element [5, 1]) (--on-nonfinite skip-batch skips the batches that hold it)",
                mlpTrain(dir, "--save", ckpt.toString()));
        Path csv = tmp.resolve("d.csv");
        Files.writeString(csv, "a,b,labels\n1,2,0\n1,inf,1\n");
        fails(tmp, "d.csv:3: column `b` is +inf", mlpTrain(csv));

        CliTest.Result r = TrainCliTest.ok(mlpTrain(dir, "--on-nonfinite", "skip-batch", "--batch-size", "4", "--epochs", "2",
                "--save", ckpt.toString()));
        assertTrue(r.out().contains("1 row holds NaN/Inf"), r.out());
        assertTrue(r.out().contains("2 batches skipped (non-finite)"), r.out());
        assertEquals(4L, SafeTensors.read(ckpt).get("global_step").longs()[0], "6 batches, 2 skipped");
        for (Tensor t : SafeTensors.read(ckpt).values()) for (double v : t.toDoubles()) assertTrue(Double.isFinite(v));
    }

    /** A model whose loss is NaN for rows with x <= 0 although the data is finite. */
    static Path logModel(Path tmp) throws IOException {
        return Files.writeString(tmp.resolve("logx.descent"), """
                model logx
                input x: f32[batch]
                var w: f32[] = 1.0
                var global_step: i64[] = 0 (trainable=false)
                loss = reduce_mean(log(x) * w)
                output loss
                train step {
                  GradientDescentOptimizer(learning_rate=0.1).minimize(loss, global_step=global_step)
                }
                """);
    }

    @Test
    void aNonFiniteLossFailsWithTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) throws IOException {
        Path model = logModel(tmp), dir = Files.createDirectories(tmp.resolve("d"));
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        Npy.write(dir.resolve("good.npy"), Tensor.of(x, 8));
        x[6] = -1;
        Npy.write(dir.resolve("bad.npy"), Tensor.of(x, 8));
        Path ckpt = tmp.resolve("c.safetensors");
        TrainCliTest.ok("run", model.toString(), "--steps", "3", "--feed", "x=" + dir.resolve("good.npy"), "--save", ckpt.toString());
        byte[] good = Files.readAllBytes(ckpt);
        // Restarting from it on other data: the loss of the batch holding x = -1 is NaN.
        String msg = fails(tmp, "the loss `loss` is NaN; stopped without saving this step", "train", model.toString(),
                "--data", dir.resolve("bad.npy").toString(), "--batch-size", "2", "--restore", ckpt.toString(),
                "--save", ckpt.toString(), "--epochs", "2");
        assertTrue(msg.matches("descent: error: step \\d \\(epoch 1, batch \\d of 4\\): .*skip-batch skips such batches"), msg);
        assertArrayEquals(good, Files.readAllBytes(ckpt), "the last good checkpoint is untouched");

        // With periodic checkpoints, the last one before the failing step is kept, complete.
        Path every = tmp.resolve("every.safetensors");
        CliTest.Result r = CliTest.descent("train", model.toString(), "--data", dir.resolve("bad.npy").toString(), "--batch-size", "2",
                "--save", every.toString(), "--every", "1", "--epochs", "2");
        assertEquals(1, r.code(), r.err());
        Matcher m = Pattern.compile("step (\\d) ").matcher(r.err());
        assertTrue(m.find(), r.err());
        int failed = Integer.parseInt(m.group(1));
        if (failed > 1) {
            assertEquals(String.valueOf(failed - 1), SafeTensors.readMetadata(every).get("descent.steps_done"));
            assertEquals(failed - 1L, SafeTensors.read(every).get("global_step").longs()[0]);
            assertTrue(r.err().contains("(" + every + " holds step " + (failed - 1) + ")"), r.err());
        }
        assertEquals(List.of(), TrainCliTest.leftovers(tmp));

        // skip-batch: the step is undone and the run goes on.
        Path skipped = tmp.resolve("skipped.safetensors");
        CliTest.Result s = TrainCliTest.ok("train", model.toString(), "--data", dir.resolve("bad.npy").toString(), "--batch-size", "2",
                "--save", skipped.toString(), "--epochs", "2", "--on-nonfinite", "skip-batch");
        assertTrue(s.out().contains("2 batches skipped (non-finite)"), s.out());
        assertEquals(6L, SafeTensors.read(skipped).get("global_step").longs()[0]);
        assertTrue(Float.isFinite(SafeTensors.read(skipped).get("w").floats()[0]));
    }
}
