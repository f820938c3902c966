package descent.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import descent.runtime.SafeTensors;
import descent.runtime.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code descent train}: data formats, seeded order, validation, progress, and exact resumption from checkpoints. */
class TrainCliTest {
    static CliTest.Result descent(String... args) { return CliTest.descent(args); }

    static String ex(String file) { return CliTest.ex(file); }

    /** A directory holding x.npy and labels.npy: the mlp example's 12 spiral points. */
    static Path mlpData(Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("mlp-data"));
        Files.copy(Path.of(ex("data/mlp_x.npy")), dir.resolve("x.npy"));
        Files.copy(Path.of(ex("data/mlp_labels.npy")), dir.resolve("labels.npy"));
        return dir;
    }

    static Path logregData(Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("logreg-data"));
        Files.copy(Path.of(ex("data/logreg_x.npy")), dir.resolve("x.npy"));
        Files.copy(Path.of(ex("data/logreg_y.npy")), dir.resolve("y.npy"));
        return dir;
    }

    /** A 3-armed spiral as CSV: {@code header} names the two coordinate columns, then the label column. */
    static Path spiralCsv(Path file, String xa, String xb, int points) throws IOException {
        StringBuilder sb = new StringBuilder(xa + "," + xb + ",labels\n");
        for (int i = 0; i < points; i++) {
            int arm = i % 3;
            double t = (i / 3 + 1) / (points / 3.0), angle = arm * 2 * Math.PI / 3 + t * 2.5;
            sb.append(String.format(java.util.Locale.ROOT, "%.4f,%.4f,%d%n", t * Math.cos(angle), t * Math.sin(angle), arm));
        }
        Files.writeString(file, sb);
        return file;
    }

    static CliTest.Result ok(String... args) {
        CliTest.Result r = descent(args);
        assertEquals(0, r.code(), String.join(" ", args) + "\n" + r.out() + r.err());
        return r;
    }

    static String[] cat(String[] head, String... tail) { return CliTest.args(head, tail); }

    /** Every state tensor bitwise equal, and nothing else in either checkpoint. */
    static void assertSameState(Path expected, Path actual) {
        Map<String, Tensor> a = SafeTensors.read(expected), b = SafeTensors.read(actual);
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            Tensor x = a.get(k), y = b.get(k);
            assertEquals(x.dtype(), y.dtype(), k);
            assertArrayEquals(x.shape(), y.shape(), k);
            double[] dx = x.toDoubles(), dy = y.toDoubles();
            for (int i = 0; i < dx.length; i++) {
                assertEquals(Double.doubleToRawLongBits(dx[i]), Double.doubleToRawLongBits(dy[i]), k + "[" + i + "]");
            }
        }
    }

    static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test
    void trainsAnNpyDirectoryWithValidationAndAccuracy(@TempDir Path tmp) throws IOException {
        Path data = mlpData(tmp), ckpt = tmp.resolve("c.safetensors");
        CliTest.Result r = ok("train", ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--epochs", "3",
                "--batch-size", "4", "--validation", "0.25", "--save", ckpt.toString());
        // 12 rows: 9 train, 3 validation; batches of 4, 4 and 1 (the partial batch goes through the batch dimension).
        assertTrue(r.out().contains("(9 train, 3 validation): 3 epochs of 3 steps, batch size 4"), r.out());
        assertTrue(r.out().contains("classifier (labels labels)"), r.out());
        for (int e = 1; e <= 3; e++) assertTrue(r.out().contains("epoch " + e + "/3: loss "), r.out());
        assertTrue(r.out().lines().filter(l -> l.startsWith("epoch ") && l.contains(", val_loss ")
                && l.contains(", val_accuracy ")).count() == 3, r.out());
        assertTrue(r.out().contains("done: 9 steps"), r.out());
        assertEquals(9L, SafeTensors.read(ckpt).get("global_step").longs()[0]);
        Map<String, String> meta = SafeTensors.readMetadata(ckpt);
        assertEquals("descent-train/1", meta.get("descent.format"));
        assertEquals("3", meta.get("descent.epochs_done"));
        assertEquals("0", meta.get("descent.batches_done"));
        assertEquals("9", meta.get("descent.steps_done"));
        assertEquals("step", meta.get("descent.train"));
        // The loss falls over the run.
        List<Double> losses = r.out().lines().filter(l -> l.matches("epoch \\d/3: loss .*"))
                .map(l -> Double.parseDouble(l.replaceAll("epoch \\d/3: loss ([^,]+),.*", "$1"))).toList();
        assertTrue(losses.get(2) < losses.get(0), losses.toString());

        // Logistic regression is not a classifier by the rule (float labels): loss only.
        CliTest.Result lr = ok("train", ex("logreg.descent"), "--data", logregData(tmp).toString(), "--epochs", "2",
                "--batch-size", "3", "--validation", "0.25");
        assertTrue(lr.out().contains(", val_loss "), lr.out());
        assertFalse(lr.out().contains("val_accuracy"), lr.out());
        assertTrue(lr.out().contains("not saved (no --save)"), lr.out());
    }

    /** A batch larger than the data is one step per epoch, up to the largest int (the step count overflowed, an audit found). */
    @Test
    void aHugeBatchSizeIsOneStepPerEpoch(@TempDir Path tmp) throws IOException {
        CliTest.Result r = ok("train", ex("mlp.descent"), "--data", mlpData(tmp).toString(), "--train", "step",
                "--batch-size", String.valueOf(Integer.MAX_VALUE), "--save", tmp.resolve("c.st").toString());
        assertTrue(r.out().contains("1 epoch of 1 step, batch size " + Integer.MAX_VALUE), r.out());
    }

    @Test
    void theSameSeedGivesTheSameOrder(@TempDir Path tmp) throws IOException {
        Path data = mlpData(tmp);
        String[] run = {"train", ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--epochs", "2", "--batch-size", "5"};
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors"), c = tmp.resolve("c.safetensors");
        ok(cat(run, "--seed", "7", "--save", a.toString()));
        ok(cat(run, "--seed", "7", "--save", b.toString()));
        ok(cat(run, "--seed", "8", "--save", c.toString()));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        // w1 and w2 have their own initializer seeds, so only the batch order differs between seeds 7 and 8.
        assertNotEquals(SafeTensors.read(a).get("w1"), SafeTensors.read(c).get("w1"));
    }

    /** Two epochs in one go equal one epoch, then a resume for the second: every state tensor, bit for bit. */
    @Test
    void resumingAfterAnEpochEndsBitwiseEqual(@TempDir Path tmp) throws IOException {
        Path data = mlpData(tmp);
        String[] run = {"train", ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--batch-size", "4",
            "--validation", "0.25", "--seed", "3"};
        Path whole = tmp.resolve("whole.safetensors"), half = tmp.resolve("half.safetensors"), resumed = tmp.resolve("resumed.safetensors");
        ok(cat(run, "--epochs", "2", "--save", whole.toString()));
        ok(cat(run, "--epochs", "1", "--save", half.toString()));
        assertEquals("1", SafeTensors.readMetadata(half).get("descent.epochs_done"));
        CliTest.Result r = ok(cat(run, "--epochs", "2", "--restore", half.toString(), "--save", resumed.toString()));
        assertTrue(r.out().contains("resuming " + half + " at step 3 of 6 (epoch 2: 0 of 3 batches done)"), r.out());
        assertTrue(r.out().contains("done: 3 steps"), r.out());
        assertSameState(whole, resumed);
        // Position and bookkeeping agree as well: the two checkpoint files are identical.
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(resumed));
    }

    /**
     * A run stopped in the middle of an epoch (as Ctrl-C stops it) resumes to the same end, for two optimizers, on the
     * default (compiled) backend and on the interpreter.
     */
    @Test
    void resumingFromAMidEpochCheckpointEndsBitwiseEqual(@TempDir Path tmp) throws IOException {
        Path mlp = mlpData(tmp), logreg = logregData(tmp);
        String[][] runs = {
            {"train", ex("mlp.descent"), "--data", mlp.toString(), "--train", "step", "--batch-size", "4", "--epochs", "3",
                "--validation", "0.25"},
            {"train", ex("mlp.descent"), "--data", mlp.toString(), "--train", "quick", "--batch-size", "5", "--epochs", "2",
                "--seed", "11"},
            {"train", ex("logreg.descent"), "--data", logreg.toString(), "--batch-size", "3", "--epochs", "3"},
        };
        int i = 0;
        for (String[] backend : List.of(new String[0], new String[] {"--backend", "interpreter"})) {
            for (String[] run : runs) {
                run = cat(run, backend);
                Path whole = tmp.resolve("whole" + i + ".safetensors"), part = tmp.resolve("part" + i + ".safetensors");
                ok(cat(run, "--save", whole.toString()));
                CliTest.Result stop = ok(cat(run, "--save", part.toString(), "--stop-at-step", "4"));
                assertTrue(stop.out().contains("stopped after step 4 of"), stop.out());
                Map<String, String> meta = SafeTensors.readMetadata(part);
                assertEquals("4", meta.get("descent.steps_done"));
                assertEquals("1", meta.get("descent.epochs_done"), meta.toString());
                assertNotEquals("0", meta.get("descent.batches_done"), "mid-epoch");
                // Resume with only --restore: the checkpoint supplies seed, batch size, validation, epochs and train block.
                CliTest.Result r = ok(cat(new String[] {"train", run[1], "--data", run[3], "--restore", part.toString(),
                    "--save", part.toString()}, backend));
                assertTrue(r.out().contains("resuming " + part + " at step 4"), r.out());
                assertSameState(whole, part);
                assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(part));
                i++;
            }
        }
    }

    /** Gradient noise draws by step count, which the checkpoint restores: a noisy run resumes bitwise too. */
    @Test
    void aNoisyRunResumesBitwiseEqual(@TempDir Path tmp) throws IOException {
        Path model = tmp.resolve("noisy.descent");
        Files.writeString(model, """
                model noisy
                input x: f32[batch, 4]
                input y: f32[batch, 1]
                var w: f32[4, 1] = zeros()
                loss = reduce_mean(square(x @ w - y))
                train step {
                  opt = GradientDescentOptimizer(0.1)
                  opt.apply_gradients([(g + random_normal_like(g, stddev=0.01, seed=3), v) for (g, v) in opt.compute_gradients(loss)])
                }
                """);
        Path data = logregData(tmp);
        String[] run = {"train", model.toString(), "--data", data.toString(), "--batch-size", "3", "--epochs", "2"};
        Path whole = tmp.resolve("whole.safetensors"), part = tmp.resolve("part.safetensors");
        ok(cat(run, "--save", whole.toString()));
        ok(cat(run, "--save", part.toString(), "--stop-at-step", "2"));
        ok("train", model.toString(), "--data", data.toString(), "--restore", part.toString(), "--save", part.toString());
        assertSameState(whole, part);
    }

    /** Periodic checkpoints: every N steps, atomically, each one a valid resume point. */
    @Test
    void checkpointsEveryNStepsResumeExactly(@TempDir Path tmp) throws IOException {
        Path data = logregData(tmp), whole = tmp.resolve("whole.safetensors"), ckpt = tmp.resolve("every.safetensors");
        String[] run = {"train", ex("logreg.descent"), "--data", data.toString(), "--batch-size", "3", "--epochs", "2"};
        ok(cat(run, "--save", whole.toString()));
        // Stop at step 5 with checkpoints every 2 steps: the last periodic one (step 4) is replaced by the stop's (step 5).
        ok(cat(run, "--save", ckpt.toString(), "--every", "2", "--stop-at-step", "5"));
        assertEquals("5", SafeTensors.readMetadata(ckpt).get("descent.steps_done"));
        assertEquals(5L, SafeTensors.read(ckpt).get("global_step").longs()[0]);
        ok("train", ex("logreg.descent"), "--data", data.toString(), "--restore", ckpt.toString(), "--save", ckpt.toString(),
                "--every", "2");
        assertSameState(whole, ckpt);
        assertEquals(List.of(), leftovers(tmp));
    }

    /** CSV: named columns (x_0, x_1) and the remaining-columns rule (a, b) read the same data; labels parse as integers. */
    @Test
    void trainsOnASpiralCsv(@TempDir Path tmp) throws IOException {
        Path named = spiralCsv(tmp.resolve("named.csv"), "x_0", "x_1", 60);
        Path plain = spiralCsv(tmp.resolve("plain.csv"), "a", "b", 60);
        Path c1 = tmp.resolve("c1.safetensors"), c2 = tmp.resolve("c2.safetensors");
        String[] run = {"train", ex("mlp.descent"), "--train", "step", "--epochs", "4", "--batch-size", "8", "--validation", "0.2"};
        CliTest.Result r = ok(cat(run, "--data", named.toString(), "--save", c1.toString()));
        assertTrue(r.out().contains("on 60 rows of " + named + " (48 train, 12 validation): 4 epochs of 6 steps"), r.out());
        assertTrue(r.out().contains("val_accuracy "), r.out());
        ok(cat(run, "--data", plain.toString(), "--save", c2.toString()));
        assertSameState(c1, c2);

        // Logistic regression: a [batch, 1] input takes the column named like it; x takes the other four.
        Path lr = tmp.resolve("lr.csv");
        Files.writeString(lr, "f1,f2,y,f3,f4\n0.5,0.1,1,0.2,0.3\n-0.5,-0.1,0,-0.2,-0.3\n\"0.25\",0.5,1,0.5,0.5\r\n-1,-1,0,-1,-1\n");
        CliTest.Result l = ok("train", ex("logreg.descent"), "--data", lr.toString(), "--epochs", "2", "--batch-size", "2");
        assertTrue(l.out().contains("on 4 rows of"), l.out());
    }

    @Test
    void progressIsABarOnATerminalAndLinesOtherwise(@TempDir Path tmp) throws IOException {
        Path data = mlpData(tmp);
        String[] run = {"train", ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--epochs", "2", "--batch-size", "4"};
        CliTest.Result plain = ok(run); // not a terminal: plain lines
        assertFalse(plain.out().contains("\r"), plain.out());
        assertTrue(plain.out().lines().anyMatch(l -> l.matches("epoch 1/2  step 1/3  loss \\S+  \\S+ steps/s  ETA \\d+:\\d\\d")), plain.out());
        assertTrue(plain.out().lines().anyMatch(l -> l.startsWith("done: 6 steps in ")), plain.out());
        CliTest.Result bar = ok(cat(run, "--progress", "bar"));
        assertTrue(bar.out().contains("\repoch 1/2 [====================] 3/3  loss "), bar.out());
        assertTrue(bar.out().contains("steps/s  ETA "), bar.out());
        CliTest.Result none = ok(cat(run, "--progress", "none"));
        assertFalse(none.out().contains("step 1/3"), none.out());
        assertTrue(none.out().contains("epoch 2/2: loss "), none.out());
    }

    /**
     * Ctrl-C: a real JVM, stopped by a signal (SIGTERM runs the same shutdown hook as SIGINT) in the middle of a
     * long run, saves a checkpoint of a completed step and exits; resuming from it matches an uninterrupted run.
     */
    @Test
    void aSignalSavesACheckpointThatResumesExactly(@TempDir Path tmp) throws Exception {
        Path data = mlpData(tmp), ckpt = tmp.resolve("sig.safetensors");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
                "descent.cli.Main", "train", ex("mlp.descent"), "--data", data.toString(), "--train", "step",
                "--epochs", "100000", "--batch-size", "1", "--save", ckpt.toString(), "--progress", "plain"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.append(line).append('\n');
                if (line.startsWith("epoch 1/100000  step 1/12")) break; // training is under way
            }
            p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of the pipe)
            while ((line = in.readLine()) != null) out.append(line).append('\n');
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), out.toString());
        assertTrue(out.toString().contains("stopped after step "), out.toString());
        Map<String, String> meta = SafeTensors.readMetadata(ckpt);
        long n = Long.parseLong(meta.get("descent.steps_done"));
        assertTrue(n >= 1, meta.toString());
        assertEquals(n, SafeTensors.read(ckpt).get("global_step").longs()[0]);
        // Resume to step n + 2 and compare with a run that goes there without interruption.
        String stop = String.valueOf(n + 2);
        Path whole = tmp.resolve("whole.safetensors");
        ok("train", ex("mlp.descent"), "--data", data.toString(), "--train", "step", "--epochs", "100000", "--batch-size", "1",
                "--save", whole.toString(), "--stop-at-step", stop);
        ok("train", ex("mlp.descent"), "--data", data.toString(), "--restore", ckpt.toString(), "--save", ckpt.toString(),
                "--stop-at-step", stop);
        assertSameState(whole, ckpt);
        assertEquals(List.of(), leftovers(tmp));
    }
    /**
     * --save and --out never replace the data the run reads (a CSV, or one file of a directory of .npy): an audit
     * found `--data d.csv --save d.csv` replacing the training set with a checkpoint. Exit 2, the data untouched.
     */
    @Test
    void aRunDoesNotWriteOverItsData(@TempDir Path tmp) throws IOException {
        Path csv = tmp.resolve("d.csv");
        Files.writeString(csv, "x_0,x_1,labels\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,2\n");
        String text = Files.readString(csv);
        CliTest.Result save = descent("train", ex("mlp.descent"), "--train", "step", "--data", csv.toString(), "--save", csv.toString(),
                "--progress", "none");
        assertEquals(2, save.code(), save.err());
        assertTrue(save.err().startsWith("descent: --save " + csv + " would replace the training data " + csv + "; choose another path"),
                save.err());
        assertEquals(text, Files.readString(csv));
        Path ckpt = tmp.resolve("c.safetensors");
        ok("train", ex("mlp.descent"), "--train", "step", "--data", csv.toString(), "--save", ckpt.toString(), "--progress", "none");
        CliTest.Result out = descent("predict", ex("mlp.descent"), "--restore", ckpt.toString(), "--data", csv.toString(), "--out",
                csv.toString());
        assertEquals(2, out.code(), out.err());
        assertTrue(out.err().startsWith("descent: --out " + csv + " would replace the data " + csv), out.err());
        assertEquals(text, Files.readString(csv));
        Path dir = mlpData(tmp), x = dir.resolve("x.npy");
        byte[] xs = Files.readAllBytes(x);
        CliTest.Result intoDir = descent("train", ex("mlp.descent"), "--train", "step", "--data", dir.toString(), "--save", x.toString(),
                "--progress", "none");
        assertEquals(2, intoDir.code(), intoDir.err());
        assertTrue(java.util.Arrays.equals(xs, Files.readAllBytes(x)));
        // run's fetches against its feeds, predict's output against its checkpoint.
        CliTest.Result fetch = descent("run", ex("mlp.descent"), "--steps", "0", "--feed", "x=" + x, "--feed", "labels=" + dir.resolve("labels.npy"),
                "--fetch", "probs=" + x);
        assertEquals(2, fetch.code(), fetch.err());
        assertTrue(fetch.err().startsWith("descent: --fetch probs=" + x + " would replace the --feed x file " + x), fetch.err());
        assertTrue(java.util.Arrays.equals(xs, Files.readAllBytes(x)));
        byte[] state = Files.readAllBytes(ckpt);
        CliTest.Result onCkpt = descent("predict", ex("mlp.descent"), "--restore", ckpt.toString(), "--data", dir.toString(), "--out",
                ckpt.toString());
        assertEquals(2, onCkpt.code(), onCkpt.err());
        assertTrue(java.util.Arrays.equals(state, Files.readAllBytes(ckpt)));
    }

    /** compile -o must not replace the model it compiles; two outputs of one run must not name one file. */
    @Test
    void outputsReplaceNoInputAndNoOtherOutput(@TempDir Path tmp) throws IOException {
        Path model = Files.copy(Path.of(ex("logreg.descent")), tmp.resolve("self.descent"));
        String text = Files.readString(model);
        for (String[] args : List.of(new String[] {"compile", model.toString(), "-o", model.toString()},
                new String[] {"compile", model.toString(), "--emit", "ast", "-o", model.toString()})) {
            CliTest.Result r = descent(args);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("descent: -o " + model + " would replace the model " + model + "; choose another path"), r.err());
            assertEquals(text, Files.readString(model));
        }
        String[] feeds = {"--feed", "x=" + ex("data/logreg_x.npy"), "--feed", "y=" + ex("data/logreg_y.npy")};
        Path f = tmp.resolve("f.npy");
        CliTest.Result twice = descent(CliTest.args(new String[] {"run", ex("logreg.descent"), "--fetch", "loss=" + f, "--fetch", "prob=" + f}, feeds));
        assertEquals(2, twice.code(), twice.err());
        assertTrue(twice.err().startsWith("descent: --fetch loss=" + f + " and --fetch prob=" + f + " name the same file"), twice.err());
        CliTest.Result withSave = descent(CliTest.args(new String[] {"run", ex("logreg.descent"), "--fetch", "loss=" + f, "--save", f.toString()}, feeds));
        assertEquals(2, withSave.code(), withSave.err());
        assertTrue(!Files.exists(f));
        // A device may take several outputs.
        CliTest.Result devNull = descent(CliTest.args(new String[] {"run", ex("logreg.descent"), "--fetch", "loss=/dev/null", "--fetch", "prob=/dev/null"}, feeds));
        assertEquals(0, devNull.code(), devNull.err());
    }

    /** A damaged training position (an edited checkpoint) is one line naming the file and the key, not an internal error. */
    @Test
    void aDamagedTrainingPositionIsAUserError(@TempDir Path tmp) throws IOException {
        Path data = logregData(tmp), ckpt = tmp.resolve("c.safetensors");
        ok("train", ex("logreg.descent"), "--data", data.toString(), "--save", ckpt.toString(), "--progress", "none");
        Map<String, Tensor> tensors = SafeTensors.read(ckpt);
        for (String[] kv : List.of(new String[] {"descent.batch_size", "0"}, new String[] {"descent.epochs", "-1"},
                new String[] {"descent.validation", "NaN"}, new String[] {"descent.steps_done", "-3"}, new String[] {"descent.epochs_done", "99"})) {
            Map<String, String> meta = new java.util.LinkedHashMap<>(SafeTensors.readMetadata(ckpt));
            meta.put(kv[0], kv[1]);
            Path bad = tmp.resolve("bad.safetensors");
            SafeTensors.write(bad, tensors, meta);
            CliTest.Result r = descent("train", ex("logreg.descent"), "--data", data.toString(), "--restore", bad.toString(), "--progress", "none");
            assertEquals(1, r.code(), r.err());
            assertEquals("descent: error: " + bad + ": the checkpoint's training position is damaged: " + kv[0] + " " + kv[1],
                    r.err().strip().substring(0, Math.min(r.err().strip().length(), ("descent: error: " + bad + ": the checkpoint's training position is damaged: " + kv[0] + " " + kv[1]).length())));
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    /** A position claiming more batches of an epoch than the epoch has is damaged too (it resumed silently; an audit). */
    @Test
    void aPositionPastItsEpochIsDamaged(@TempDir Path tmp) throws IOException {
        Path data = logregData(tmp), ckpt = tmp.resolve("c.safetensors"), bad = tmp.resolve("bad.safetensors");
        ok("train", ex("logreg.descent"), "--data", data.toString(), "--save", ckpt.toString(), "--progress", "none");
        Map<String, String> meta = new java.util.LinkedHashMap<>(SafeTensors.readMetadata(ckpt));
        meta.put("descent.batches_done", "100");
        meta.put("descent.steps_done", "100");
        SafeTensors.write(bad, SafeTensors.read(ckpt), meta);
        CliTest.Result r = descent("train", ex("logreg.descent"), "--data", data.toString(), "--restore", bad.toString(),
                "--epochs", "200", "--progress", "none");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("descent: error: " + bad + ": the checkpoint's training position is damaged: descent.batches_done 100"
                + " (fewer than the "), r.err());
    }
}
